"""Container images: sources behind one interface (source.py) and a safe
unpacker into the RootFS model (unpack.py, rootfs.py)."""
