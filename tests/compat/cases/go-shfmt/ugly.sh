#!/bin/sh
if [ -n "$1" ] ;then
echo "arg: $1"
  else    echo none
fi
for i in 1 2 3;do echo $i;done
f(){ echo hi ;}
