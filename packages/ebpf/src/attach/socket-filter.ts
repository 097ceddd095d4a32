import { EbpfError, EbpfErrorCode, codeForErrno, describeErrno } from '../errors.js';
import { libbpf, type Libbpf } from '../native/libbpf.js';

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;

/** @internal Attaches a socket filter program fd to a socket (SO_ATTACH_BPF). */
export function attachSocketFilter(lib: Libbpf, programFd: number, name: string, socketFd: number): void {
  const value = Buffer.alloc(4);
  value.writeInt32LE(programFd);
  if (lib.setsockopt(socketFd, SOL_SOCKET, SO_ATTACH_BPF, value, 4) < 0) {
    const errno = lib.koffi.errno();
    throw new EbpfError(codeForErrno(errno, EbpfErrorCode.Attach), `could not attach socket filter '${name}' to socket fd ${socketFd}${describeErrno(errno)}`, {
      errno,
    });
  }
}

/** Removes the BPF filter of a socket (SO_DETACH_BPF). */
export function detachSocketFilter(socketFd: number): void {
  const lib = libbpf();
  if (lib.setsockopt(socketFd, SOL_SOCKET, SO_DETACH_BPF, Buffer.alloc(4), 4) < 0) {
    const errno = lib.koffi.errno();
    if (errno === 2) return; // ENOENT: no filter attached
    throw new EbpfError(codeForErrno(errno, EbpfErrorCode.Attach), `could not detach the filter of socket fd ${socketFd}${describeErrno(errno)}`, { errno });
  }
}
