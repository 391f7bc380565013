#!/bin/bash
cd /tmp || exit 1
mkdir -p src/dir/sub
for i in $(seq 1 50); do echo "line $i of some text" >> src/dir/text.txt; done
head -c 100000 /dev/zero > src/dir/zeros.bin
ln -s text.txt src/dir/link
printf 'x' > src/dir/sub/one
opts=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu)
tar "${opts[@]}" -cf plain.tar -C src dir && sha256sum plain.tar | cut -c1-16
for z in gzip bzip2 xz zstd; do
  case $z in gzip) ext=gz; c="gzip -n -9";; bzip2) ext=bz2; c="bzip2 -9";; xz) ext=xz; c="xz -6";; zstd) ext=zst; c="zstd -q -19";; esac
  $c < plain.tar > "a.tar.$ext"
  mkdir -p "out-$z" && tar -xf "a.tar.$ext" -C "out-$z" && diff -r src "out-$z" && echo "$z: round trip ok"
  sha256sum "a.tar.$ext" | cut -c1-16
done
tar -tvf plain.tar | awk '{print $1, $3, $NF}'
tar -czf auto.tgz -C src dir && tar -tzf auto.tgz | sort | head -3
tar -xf plain.tar -C /tmp --to-stdout dir/sub/one; echo
gzip -l a.tar.gz | tail -1 | awk '{print $2}'
xz -t a.tar.xz && echo "xz test ok"
