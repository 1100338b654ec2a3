// The part of the untyped `raw-socket` package xdperf uses.
declare module 'raw-socket' {
  export interface RawSocket {
    send(buffer: Buffer, offset: number, length: number, address: string, after: (error: Error | null, bytes: number) => void): RawSocket;
    setOption(level: number, option: number, value: Buffer | number, length?: number): void;
    close(): void;
    on(event: 'error', listener: (error: Error) => void): RawSocket;
  }
  export const AddressFamily: { IPv4: number; IPv6: number };
  export const SocketLevel: { SOL_SOCKET: number; IPPROTO_IP: number };
  export const SocketOption: { SO_BINDTODEVICE: number; SO_SNDBUF: number };
  export function createSocket(options: { protocol: number; addressFamily: number }): RawSocket;
}
