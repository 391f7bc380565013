#!/bin/bash
cd /tmp || exit 1
umask 022
mkdir -p work/a/b/c && cd work || exit 1
printf 'hello\n' > a/file
touch -d '2001-02-03 04:05:06 UTC' a/file
cp -p a/file a/copy; cp -a a b; mv b/file b/moved
ln -s ../a/file b/link; ln a/file a/hard
chmod 640 a/copy; chmod u+x,g-w b/moved
install -m 0751 a/file a/installed
truncate -s 10k a/sparse
# Directory sizes and block counts belong to the filesystem (docker's
# /tmp is the container layer, the guest's a tmpfs): not compared.
stat -c '%n %s %a %F %h' a/file a/copy b/moved b/link a/hard a/installed a/sparse
stat -c '%n %a %F %h' a/b
stat -c '%n %Y' a/file a/copy
touch -d "2010-10-10 10:10:10 UTC" a/installed a/sparse a/b
TZ=UTC ls -l --time-style=+%F_%T a | awk 'NR > 1 {print $1, $2, ($1 ~ /^d/ ? "-" : $5), $6, $7}'
ls -A1 b
find . -newer a/file -name copy
readlink b/link; realpath b/link; realpath -m a/../nope/x
du -s --apparent-size -B1 a/file
df -P /tmp >/dev/null && echo "df ok"
rm -r b; ls; rmdir a/b/c && echo "rmdir ok"
cat a/hard; test a/file -ef a/hard && echo "same inode"
mktemp -d /tmp/tmp.XXXXXX | grep -c '^/tmp/tmp\.'
dd if=/dev/zero of=zeros bs=4k count=3 status=none; wc -c < zeros
sync zeros && echo "sync ok"
