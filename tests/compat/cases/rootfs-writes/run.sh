#!/bin/bash
echo "new file" > /var/new.txt && cat /var/new.txt
mkdir -p /srv/app/data && echo ok > /srv/app/data/x && cat /srv/app/data/x
echo "appended" >> /etc/motd && tail -n 1 /etc/motd
cp /etc/hostname /etc/hostname.bak 2>/dev/null; echo "copy: $?"
mv /etc/debian_version /etc/debian_version.moved && cat /etc/debian_version.moved
rm /etc/issue.net && { test -e /etc/issue.net || echo "deleted image file is gone"; }
ls /etc | grep -c '^issue.net$'
chmod 600 /etc/issue && stat -c '%a' /etc/issue
ln -s /etc/os-release /var/link && readlink /var/link
rm -rf /usr/share/doc/zlib1g && { test -d /usr/share/doc/zlib1g || echo "removed image directory"; }
mkdir /var/lib/newdir && rmdir /var/lib/newdir && echo "mkdir/rmdir ok"
