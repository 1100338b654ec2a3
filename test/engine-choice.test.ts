import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseEngine } from '../src/engine/engine-choice.js';
import type { ProbeResult } from '../src/engine/native-core.js';

const yes = { supported: true, reason: null };
const no = (reason: string) => ({ supported: false, reason });

function probe(overrides: Partial<ProbeResult>): ProbeResult {
  return {
    ifname: 'eth9',
    ifindex: 9,
    driver: 'ixgbe',
    mac: '02:00:00:00:00:09',
    mtu: 1500,
    adminUp: true,
    operUp: true,
    rxQueues: 4,
    txQueues: 4,
    linkSpeedMbps: 10000,
    linkSpeedReason: null,
    xdpNative: yes,
    xdpGeneric: yes,
    afxdpZeroCopy: yes,
    afxdpCopy: yes,
    liveFrames: yes,
    packetTxRing: yes,
    xdpRedirectTarget: yes,
    vethPeer: null,
    ...overrides,
  };
}

test('zero-copy AF_XDP comes first', () => {
  const choice = chooseEngine(probe({}));
  assert.equal([choice.engine, choice.xdpMode], ['afxdp', 'zerocopy']);
  assert.match(choice.reason, /AF_XDP zero-copy works on eth9 \(ixgbe\)/);
});

test('without zero-copy, live frames beat AF_XDP copy, and the reason says both', () => {
  const choice = chooseEngine(probe({ driver: 'veth', afxdpZeroCopy: no('zero-copy bind: EOPNOTSUPP') }));
  assert.is(choice.engine, 'xdp');
  assert.match(choice.reason, /XDP live frames work .*no AF_XDP zero-copy: zero-copy bind: EOPNOTSUPP/);
});

test('a veth whose peer has no XDP program does not get the xdp engine', () => {
  const choice = chooseEngine(
    probe({ driver: 'veth', afxdpZeroCopy: no('EOPNOTSUPP'), xdpRedirectTarget: no('veth peer xdperf1 has no XDP program: redirected frames are dropped') }),
  );
  assert.equal([choice.engine, choice.xdpMode], ['afxdp', 'copy']);
  assert.match(choice.reason, /does not take redirected frames: veth peer xdperf1 has no XDP program/);
});

test('an unknown redirect target is not bet on', () => {
  const choice = chooseEngine(probe({ afxdpZeroCopy: no('x'), xdpRedirectTarget: { supported: null, reason: 'peer in an unnamed namespace' } }));
  assert.is(choice.engine, 'afxdp');
  assert.match(choice.reason, /cannot tell whether eth9 takes redirected frames: peer in an unnamed namespace/);
});

test('then AF_PACKET, then the raw socket', () => {
  const noXdp = { afxdpZeroCopy: no('a'), liveFrames: no('b'), afxdpCopy: no('c') };
  assert.is(chooseEngine(probe(noXdp)).engine, 'packet');
  const raw = chooseEngine(probe({ ...noXdp, packetTxRing: no('d') }));
  assert.is(raw.engine, 'raw');
  assert.match(raw.reason, /nothing faster works \(no AF_XDP zero-copy: a; no XDP live frames: b; no AF_XDP: c; no AF_PACKET TX ring: d\)/);
});

test.run();
