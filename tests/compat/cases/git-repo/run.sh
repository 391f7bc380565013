#!/bin/bash
cd /tmp || exit 1
git config --global init.defaultBranch main
git config --global core.pager cat
git init -q repo && cd repo || exit 1
printf 'one\ntwo\n' > a.txt && git add a.txt && git commit -q -m "first"
git checkout -q -b feature
printf 'three\n' >> a.txt && echo b > b.txt && git add -A && git commit -q -m "feature work"
git checkout -q main
echo c > c.txt && git add c.txt && git commit -q -m "main work"
git merge -q --no-edit feature && echo "merged"
git tag -a v1 -m "version one"
git log --oneline --graph --all
git rev-parse HEAD HEAD^1 HEAD^2
git show --stat --format='%an <%ae> %ad %s' HEAD~1 | head -4
git diff HEAD~2 HEAD --stat
git diff HEAD~1 -- a.txt | tail -3
echo dirty >> c.txt; git status --short; git stash -q; git status --short | wc -l
git describe --tags; git branch -a
git archive --format=tar HEAD | sha256sum | cut -c1-16
git cat-file -p HEAD | head -3
git gc -q && git count-objects -v | grep -E '^(count|in-pack):'
git fsck --no-progress && echo "fsck ok"
git clone -q . ../clone && git -C ../clone log --format=%H -1
