#!/bin/sh
java -version 2>&1 | head -1 | cut -d'"' -f1
java --list-modules | grep -c '^java\.'
java -XshowSettings:properties -version 2>&1 | grep -E '^ +(os.name|os.arch|file.separator|java.vm.name) ='
echo "status=$?"
