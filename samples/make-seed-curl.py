#!/usr/bin/env python3
"""Writes samples/seed-curl.pcapng: `curl http://backendsvc/` from the seed's frontend pod, as captured
on the pods' own ports — the frontend's frames on worker1/frontend-a3ba2f, backend2's on
worker2/backend2-202ff6 (pcapng interfaces named NODE/PORT, as `datapath replay --cluster` reads them).
The frames in between (DNAT in worker1's host, GENEVE to worker2, the reverse path) are the datapath's
to make. Run from the repository root: python3 samples/make-seed-curl.py"""
import struct

FRONTEND_MAC, GW1_MAC = "be:2c:bf:e4:ec:c5", "4e:99:08:c1:53:be"
BACKEND2_MAC, GW2_MAC = "c6:f4:b5:76:10:38", "02:d8:4e:3f:92:1d"
FRONTEND_IP, SERVICE_IP, BACKEND2_IP, GW1_IP = "10.222.1.48", "10.104.65.133", "10.222.2.34", "10.222.1.1"

def mac(s): return bytes(int(x, 16) for x in s.split(":"))
def ip(s): return bytes(int(x) for x in s.split("."))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def arp_request(src_mac, src_ip, target_ip):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(src_mac) + ip(src_ip) + b"\0" * 6 + ip(target_ip)
    return mac("ff:ff:ff:ff:ff:ff") + mac(src_mac) + b"\x08\x06" + body

def tcp(src_mac, dst_mac, src, dst, sport, dport, seq, ack, flags, payload=b"", ident=0):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 64240, 0, 0)
    pseudo = ip(src) + ip(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
    c = csum(pseudo + hdr + payload)
    hdr = hdr[:16] + struct.pack("!H", c) + hdr[18:]
    total = 20 + len(hdr) + len(payload)
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, 64, 6, 0, ip(src), ip(dst))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + iph + hdr + payload

FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10
GET = b"GET / HTTP/1.1\r\nHost: backendsvc\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 21\r\n\r\nHello from backend2!\n"
C, S = 569506855, 1181298437  # initial sequence numbers (the seed tcpdump's)

def fe(seq, ack, flags, payload=b"", ident=0):
    return (0, tcp(FRONTEND_MAC, GW1_MAC, FRONTEND_IP, SERVICE_IP, 56670, 80, seq, ack, flags, payload, ident))
def be(seq, ack, flags, payload=b"", ident=0):
    return (1, tcp(BACKEND2_MAC, GW2_MAC, BACKEND2_IP, FRONTEND_IP, 80, 56670, seq, ack, flags, payload, ident))

frames = [
    (0, arp_request(FRONTEND_MAC, FRONTEND_IP, GW1_IP)),
    fe(C, 0, SYN, ident=0x1001),
    be(S, C + 1, SYN | ACK),
    fe(C + 1, S + 1, ACK, ident=0x1002),
    fe(C + 1, S + 1, PSH | ACK, GET, ident=0x1003),
    be(S + 1, C + 1 + len(GET), ACK, ident=0x2001),
    be(S + 1, C + 1 + len(GET), PSH | ACK, OK, ident=0x2002),
    fe(C + 1 + len(GET), S + 1 + len(OK), ACK, ident=0x1004),
    fe(C + 1 + len(GET), S + 1 + len(OK), FIN | ACK, ident=0x1005),
    be(S + 1 + len(OK), C + 2 + len(GET), FIN | ACK, ident=0x2003),
    fe(C + 2 + len(GET), S + 2 + len(OK), ACK, ident=0x1006),
]

def block(kind, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", kind, n) + body + struct.pack("<I", n)

def option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)

out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + option(4, b"datapath samples/make-seed-curl.py") + option(0, b""))
for name in (b"worker1/frontend-a3ba2f", b"worker2/backend2-202ff6"):
    out += block(1, struct.pack("<HHI", 1, 0, 262144) + option(2, name) + option(9, b"\x09") + option(0, b""))  # if_tsresol 1e-9
t0 = 1_700_000_000_000_000_000
for i, (iface, frame) in enumerate(frames):
    ts = t0 + i * 1_000_000  # 1 ms apart
    out += block(6, struct.pack("<IIIII", iface, ts >> 32, ts & 0xffffffff, len(frame), len(frame)) + frame)
open("samples/seed-curl.pcapng", "wb").write(out)
print("samples/seed-curl.pcapng: %d frames" % len(frames))
