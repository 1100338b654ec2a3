import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fromNative, NativeError } from '../src/engine/native-error.js';

/** An error as the native core throws it (native/src/lib.rs, to_js). */
function coded(code: string, detail: object): Error {
  return Object.assign(new Error(JSON.stringify(detail)), { code });
}

test('a setting is named by its flag, before what is wrong with it', () => {
  const error = fromNative(coded('ERR_XDPERF_INVALID_ARGUMENT', { message: '257 out of range (1..256)', setting: 'xdpBatchSize' }));
  assert.instance(error, NativeError);
  assert.is((error as NativeError).message, '--xdp-batch 257 out of range (1..256)');
  assert.is((error as NativeError).code, 'ERR_XDPERF_INVALID_ARGUMENT');
});

test('what would work instead is said in flags', () => {
  const error = fromNative(
    coded('ERR_XDPERF_UNSUPPORTED', {
      message: 'AF_XDP socket on eth0 queue 0: zero-copy is not supported by this driver',
      instead: { setting: 'xdpMode', values: ['auto', 'copy'] },
    }),
  ) as NativeError;
  assert.is(error.message, 'AF_XDP socket on eth0 queue 0: zero-copy is not supported by this driver; use --xdp-mode auto or --xdp-mode copy');
  const engines = fromNative(coded('ERR_XDPERF_BUSY', { message: 'interface eth0: an XDP program is attached', instead: { setting: 'engine', values: ['afxdp', 'packet'] } }));
  assert.match((engines as Error).message, /; use --engine afxdp or --engine packet$/);
});

test('the errno is kept; errors that are not the core\'s pass through', () => {
  const error = fromNative(coded('ERR_XDPERF_KERNEL', { message: 'x: invalid argument (errno 22)', errno: 22 })) as NativeError;
  assert.is(error.errno, 22);
  const other = new TypeError('not ours');
  assert.is(fromNative(other), other);
  // napi's own refusal of a request of the wrong shape: kept as its text.
  assert.is((fromNative(coded('ERR_XDPERF_INVALID_ARGUMENT', {})) as Error).message, '{}');
});

test.run();
