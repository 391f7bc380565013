import os
import selectors
import socket

a, b = socket.socketpair()
a.sendall(b"ping")
print("socketpair", b.recv(4))
a.close()
b.close()

path = "/tmp/compat.sock"
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
if os.fork() == 0:
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    client.sendall(b"over unix")
    client.close()
    os._exit(0)
conn, _ = server.accept()
print("unix", conn.recv(64))
conn.close()
os.wait()

tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind(("127.0.0.1", 0))
tcp.listen(1)
port = tcp.getsockname()[1]
if os.fork() == 0:
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"over tcp")
    print("child echo", client.recv(64))
    client.close()
    os._exit(0)
conn, _ = tcp.accept()
selector = selectors.DefaultSelector()
selector.register(conn, selectors.EVENT_READ)
print("ready", len(selector.select(timeout=30)))
data = conn.recv(64)
conn.sendall(data.upper())
conn.close()
print("tcp child status", os.waitstatus_to_exitcode(os.wait()[1]))
