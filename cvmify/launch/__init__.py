"""Launching a bundle under QEMU: argv as data (qemu.py), accelerator
choice (accel.py), and running it with the consoles streamed (runner.py).
See docs/launch.md."""
