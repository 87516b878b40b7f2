#!/usr/bin/env python3
# Seeds of the fuzzers from the tractor captures (tests/data/tractor-captures):
# the frames each side sent per connection (fuzz_dialog, fuzz_registrar),
# every Error and SpawnSpec body (fuzz_errors, fuzz_spawnspec), every
# address seen (fuzz_addr). Run from the top of the tree; the seeds are
# committed, so the build does not need python.
import json, os, glob, struct
root='tests/fuzz/corpus'
caps=sorted(glob.glob('tests/data/tractor-captures/*.jsonl'))
def w(d, name, data):
    os.makedirs(os.path.join(root, d), exist_ok=True)
    open(os.path.join(root, d, name), 'wb').write(data)
def mp_str(s):
    b=s.encode()
    if len(b) < 32: return bytes([0xa0|len(b)])+b
    return bytes([0xd9,len(b)])+b
def mp_int(i):
    if i < 128: return bytes([i])
    if i < 256: return bytes([0xcc,i])
    return bytes([0xcd])+struct.pack('>H',i)
addrs=set()
for c in caps:
    scen=os.path.basename(c)[:-6]
    streams={}
    for line in open(c):
        r=json.loads(line)
        if 'hex' not in r: continue
        fr=bytes.fromhex(r['hex'])
        key=(r.get('conn'), r.get('pid_role'))
        streams.setdefault(key, []).append(fr)
        m=r.get('msg',{})
        t=m.get('msg_type')
        body=fr[4:]
        if t=='Error': w('fuzz_errors', '%s_%d' % (scen, len(os.listdir(os.path.join(root,'fuzz_errors'))) if os.path.isdir(os.path.join(root,'fuzz_errors')) else 0), body)
        if t=='SpawnSpec': w('fuzz_spawnspec', '%s_%s' % (scen, r.get('conn')), body)
        for k in ('reg_addrs','bind_addrs'):
            for a in (m.get(k) or []): addrs.add(tuple(a))
        kw=m.get('kwargs') or {}
        if isinstance(kw, dict) and isinstance(kw.get('addr'), list): addrs.add(tuple(kw['addr']))
        pld=m.get('pld')
        if isinstance(pld, list):
            for a in pld:
                if isinstance(a, list) and len(a)==2 and isinstance(a[0], str): addrs.add(tuple(a))
    for (conn, role), frames in streams.items():
        d='fuzz_registrar' if scen=='registry' else 'fuzz_dialog'
        w(d, '%s_%s_%s' % (scen, conn, role), b''.join(frames))
for i,a in enumerate(sorted(addrs, key=str)):
    h,p=a
    w('fuzz_addr', 'wire_%d' % i, b'\x92'+mp_str(h)+(mp_int(p) if isinstance(p,int) else mp_str(p)))
for i,u in enumerate(['tcp://127.0.0.1:1616','tcp://[::1]:0','tcp://name:80','unix:///tmp/a.sock',
                      'unix://rel/a.sock','/ip4/127.0.0.1/tcp/1616','/ip6/::1/tcp/1616',
                      '/dns/name/tcp/80','/unix/tmp/a.sock','/unix/%2Ftmp%2Fa.sock']):
    w('fuzz_addr', 'url_%d' % i, u.encode())
w('fuzz_addr', 'list_1', b'\x92\x92\xa9127.0.0.1\xcd\x06\x50\x92\xa4/tmp\xa6a.sock')
