#!/bin/bash
echo '{"b": [1, 2], "a": {"x": "y"}}' > /tmp/data.json
jq -c . /tmp/data.json
jq . /tmp/data.json
jq -r '.a.x' /tmp/data.json
jq '.b | add' /tmp/data.json | cat
jq -n '[range(5)] | map(. * .) | add'
echo '{"k": [3, 1, 2]}' | jq -c '.k | sort'
echo '{"broken":' | jq . 2>/dev/null; echo "jq on bad input: $?"
