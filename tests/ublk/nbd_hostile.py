#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A small NBD server that misbehaves on purpose, for the nbd target's tests.

Serves one export from memory (zeros until written) over fixed-newstyle
NBD_OPT_GO, and can instead:
  --stall-file PATH   while PATH exists, read requests and never reply
  --stall-after N     the same after N replies (over all connections)
  --no-read           when stalled, stop reading too (the client's sends block)
  --trickle SECONDS   send the greeting one byte every SECONDS
  --trickle-file PATH the same (a byte a second) for connections made while PATH exists
  --flood             answer NBD_OPT_GO with NBD_REP_INFO forever
  --size BYTES        the export size it claims (say 18446744073709551615)
  --size-step BYTES   connection i (from 0) claims size + i * BYTES
  --block MIN,PREF,MAX  the block sizes it claims (NBD_INFO_BLOCK_SIZE)
  --flags N           transmission flags (default: flush, FUA, trim, multi-conn)
Listens on --unix PATH or 127.0.0.1:--port; writes its pid to --pidfile
once it listens. Python 3 standard library only.
"""
import argparse
import os
import socket
import struct
import sys
import threading
import time

NBDMAGIC = 0x4E42444D41474943
IHAVEOPT = 0x49484156454F5054
REPLY_MAGIC = 0x3E889045565A9
REQ_MAGIC = 0x25609513
SIMPLE_REPLY = 0x67446698
OPT_ABORT, OPT_INFO, OPT_GO = 2, 6, 7
REP_ACK, REP_INFO, REP_ERR_UNSUP = 1, 3, 0x80000001
INFO_EXPORT, INFO_BLOCK_SIZE = 0, 3
CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH, CMD_TRIM, CMD_WZ = 0, 1, 2, 3, 4, 6
# HAS_FLAGS | SEND_FLUSH | SEND_FUA | SEND_TRIM | SEND_WRITE_ZEROES | CAN_MULTI_CONN
DEFAULT_FLAGS = 1 | 4 | 8 | 32 | 64 | 256
BLOCK = 4096


class Store:
    """The export's data: 4 KiB blocks written so far, zeros elsewhere."""

    def __init__(self):
        self.blocks = {}
        self.lock = threading.Lock()

    def read(self, off, length):
        out = bytearray(length)
        with self.lock:
            pos = off
            while pos < off + length:
                blk, inner = divmod(pos, BLOCK)
                n = min(BLOCK - inner, off + length - pos)
                data = self.blocks.get(blk)
                if data:
                    out[pos - off:pos - off + n] = data[inner:inner + n]
                pos += n
        return bytes(out)

    def write(self, off, data):
        with self.lock:
            pos = 0
            while pos < len(data):
                blk, inner = divmod(off + pos, BLOCK)
                n = min(BLOCK - inner, len(data) - pos)
                cur = self.blocks.setdefault(blk, bytearray(BLOCK))
                cur[inner:inner + n] = data[pos:pos + n]
                pos += n

    def zero(self, off, length):
        self.write(off, bytes(length))


class Server:
    def __init__(self, args):
        self.args = args
        self.store = Store()
        self.conns = 0
        self.replies = 0
        self.lock = threading.Lock()

    def stalled(self):
        a = self.args
        if a.stall_file and os.path.exists(a.stall_file):
            return True
        return a.stall_after is not None and self.replies >= a.stall_after

    def serve(self, sock, index):
        try:
            if self.handshake(sock, index):
                self.transmit(sock)
        except (OSError, EOFError):
            pass
        finally:
            sock.close()

    def handshake(self, sock, index):
        a = self.args
        greeting = struct.pack(">QQH", NBDMAGIC, IHAVEOPT, 1 | 2)
        if a.trickle or (a.trickle_file and os.path.exists(a.trickle_file)):
            for b in greeting:
                sock.sendall(bytes([b]))
                time.sleep(a.trickle or 1)
            time.sleep(3600)
            return False
        sock.sendall(greeting)
        recv_exact(sock, 4)
        while True:
            magic, opt, length = struct.unpack(">QII", recv_exact(sock, 16))
            data = recv_exact(sock, length)
            if magic != IHAVEOPT:
                return False
            if opt == OPT_ABORT:
                self.opt_reply(sock, opt, REP_ACK)
                return False
            if opt not in (OPT_GO, OPT_INFO):
                self.opt_reply(sock, opt, REP_ERR_UNSUP)
                continue
            if a.flood:
                info = struct.pack(">HQH", INFO_EXPORT, 1 << 20, DEFAULT_FLAGS)
                while True:
                    self.opt_reply(sock, opt, REP_INFO, info)
            size = a.size + index * a.size_step
            self.opt_reply(sock, opt, REP_INFO,
                           struct.pack(">HQH", INFO_EXPORT, size & (2**64 - 1), a.flags))
            if a.block:
                self.opt_reply(sock, opt, REP_INFO, struct.pack(">HIII", INFO_BLOCK_SIZE, *a.block))
            self.opt_reply(sock, opt, REP_ACK)
            if opt == OPT_GO:
                return True

    @staticmethod
    def opt_reply(sock, opt, rep, data=b""):
        sock.sendall(struct.pack(">QIII", REPLY_MAGIC, opt, rep, len(data)) + data)

    def transmit(self, sock):
        while True:
            if self.stalled() and self.args.no_read:
                time.sleep(3600)
            magic, flags, cmd, cookie, off, length = struct.unpack(">IHHQQI", recv_exact(sock, 28))
            if magic != REQ_MAGIC:
                return
            data = recv_exact(sock, length) if cmd == CMD_WRITE else b""
            if cmd == CMD_DISC:
                return
            if self.stalled():
                continue        # taken, never answered
            reply = b""
            if cmd == CMD_READ:
                reply = self.store.read(off, length)
            elif cmd == CMD_WRITE:
                self.store.write(off, data)
            elif cmd in (CMD_TRIM, CMD_WZ):
                self.store.zero(off, length)
            with self.lock:
                self.replies += 1
            sock.sendall(struct.pack(">IIQ", SIMPLE_REPLY, 0, cookie) + reply)


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--unix")
    p.add_argument("--port", type=int)
    p.add_argument("--pidfile")
    p.add_argument("--size", type=int, default=64 << 20)
    p.add_argument("--size-step", type=int, default=0)
    p.add_argument("--block", type=lambda s: [int(v) for v in s.split(",")])
    p.add_argument("--flags", type=int, default=DEFAULT_FLAGS)
    p.add_argument("--stall-file")
    p.add_argument("--stall-after", type=int)
    p.add_argument("--no-read", action="store_true")
    p.add_argument("--trickle", type=float)
    p.add_argument("--trickle-file")
    p.add_argument("--flood", action="store_true")
    args = p.parse_args()
    if bool(args.unix) == bool(args.port) or (args.block and len(args.block) != 3):
        p.error("one of --unix or --port; --block takes MIN,PREF,MAX")
    if args.unix:
        lsock = socket.socket(socket.AF_UNIX)
        if os.path.exists(args.unix):
            os.unlink(args.unix)
        lsock.bind(args.unix)
    else:
        lsock = socket.socket(socket.AF_INET)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("127.0.0.1", args.port))
    lsock.listen(64)
    if args.pidfile:
        with open(args.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(args.pidfile + ".tmp", args.pidfile)
    server = Server(args)
    while True:
        sock, _ = lsock.accept()
        index = server.conns
        server.conns += 1
        threading.Thread(target=server.serve, args=(sock, index), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
