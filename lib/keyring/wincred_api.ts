// Windows Credential Manager through advapi32's Cred* functions (Deno FFI), writing entries
// exactly as the JIM PowerShell module does (src/JIM.PowerShell/Private/JIMTokenStore.ps1,
// JIMCredentialStore.Write): a generic credential, target `JIM:<key>`, user `<key>`, the token
// as a UTF-16LE blob, CRED_PERSIST_LOCAL_MACHINE, and no comment, alias or attributes.
// @napi-rs/keyring 2.1.2 cannot be used for writing: its keyring-rs Windows store
// (src/windows.rs, set_password) persists with CRED_PERSIST_ENTERPRISE (the entry roams with a
// domain profile, which the module's never do) and sets a "keyring-rs v… for service…" comment.
//
// The CREDENTIALW struct is built and read by the pure functions below, so its layout is
// tested on any OS; only the calls themselves need Windows.

export const CRED_TYPE_GENERIC = 1;
export const CRED_PERSIST_LOCAL_MACHINE = 2;
export const CRED_PERSIST_ENTERPRISE = 3;
const ERROR_NOT_FOUND = 1168;

/** CREDENTIALW on 64-bit Windows (wincred.h): field offsets in bytes, and the size. */
export const CREDENTIALW_X64 = {
  Flags: 0,
  Type: 4,
  TargetName: 8,
  Comment: 16,
  LastWritten: 24, // FILETIME: two DWORDs
  CredentialBlobSize: 32,
  // 4 bytes of padding align the pointer that follows
  CredentialBlob: 40,
  Persist: 48,
  AttributeCount: 52,
  Attributes: 56,
  TargetAlias: 64,
  UserName: 72,
  size: 80,
} as const;

/** The addresses and values a written credential carries (0n is a null pointer). */
export interface CredentialFields {
  type: number;
  persist: number;
  targetName: bigint;
  userName: bigint;
  comment: bigint;
  targetAlias: bigint;
  credentialBlob: bigint;
  credentialBlobSize: number;
}

/** The struct CredWriteW is handed, as bytes (little-endian, x64 layout). */
export function buildCredential(fields: CredentialFields): Uint8Array {
  const o = CREDENTIALW_X64;
  const bytes = new Uint8Array(o.size);
  const view = new DataView(bytes.buffer);
  view.setUint32(o.Flags, 0, true);
  view.setUint32(o.Type, fields.type, true);
  view.setBigUint64(o.TargetName, fields.targetName, true);
  view.setBigUint64(o.Comment, fields.comment, true);
  // LastWritten is ignored by CredWriteW: left zero.
  view.setUint32(o.CredentialBlobSize, fields.credentialBlobSize, true);
  view.setBigUint64(o.CredentialBlob, fields.credentialBlob, true);
  view.setUint32(o.Persist, fields.persist, true);
  view.setUint32(o.AttributeCount, 0, true);
  view.setBigUint64(o.Attributes, 0n, true);
  view.setBigUint64(o.TargetAlias, fields.targetAlias, true);
  view.setBigUint64(o.UserName, fields.userName, true);
  return bytes;
}

/** The fields of a CREDENTIALW that CredReadW or CredEnumerateW returned. */
export function readCredential(bytes: Uint8Array): CredentialFields {
  const o = CREDENTIALW_X64;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    type: view.getUint32(o.Type, true),
    persist: view.getUint32(o.Persist, true),
    targetName: view.getBigUint64(o.TargetName, true),
    userName: view.getBigUint64(o.UserName, true),
    comment: view.getBigUint64(o.Comment, true),
    targetAlias: view.getBigUint64(o.TargetAlias, true),
    credentialBlob: view.getBigUint64(o.CredentialBlob, true),
    credentialBlobSize: view.getUint32(o.CredentialBlobSize, true),
  };
}

/** A NUL-terminated UTF-16LE string, as LPCWSTR arguments and fields take them. */
export function wideString(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array((text.length + 1) * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < text.length; i++) view.setUint16(i * 2, text.charCodeAt(i), true);
  return bytes;
}

/** The token as the module stores it: UTF-16LE, no terminator (Encoding.Unicode.GetBytes). */
export function utf16Blob(secret: string): Uint8Array<ArrayBuffer> {
  return wideString(secret).slice(0, secret.length * 2);
}

export function fromUtf16(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    text += String.fromCharCode(view.getUint16(i, true));
  }
  return text;
}

/**
 * The CREDENTIALW for writing `secret` the way the module does, and the buffers its pointers
 * address (`address` gives a buffer's address; the caller keeps them alive through the call).
 */
export function credentialForWrite(
  target: string,
  user: string,
  secret: string,
  address: (buffer: Uint8Array<ArrayBuffer>) => bigint,
): { struct: Uint8Array; buffers: Uint8Array<ArrayBuffer>[] } {
  const targetName = wideString(target);
  const userName = wideString(user);
  const blob = utf16Blob(secret);
  const struct = buildCredential({
    type: CRED_TYPE_GENERIC,
    persist: CRED_PERSIST_LOCAL_MACHINE,
    targetName: address(targetName),
    userName: address(userName),
    comment: 0n,
    targetAlias: 0n,
    credentialBlob: blob.length === 0 ? 0n : address(blob),
    credentialBlobSize: blob.length,
  });
  return { struct, buffers: [targetName, userName, blob] };
}

export interface StoredCredential {
  target: string;
  user: string;
  secret: string;
  persist: number;
  comment: string;
}

/** The Cred* calls jim makes; tests hand in an in-memory one. */
export interface WincredApi {
  write(target: string, user: string, secret: string): void;
  /** null when there is no such credential. */
  read(target: string): StoredCredential | null;
  /** false when there was no such credential. */
  remove(target: string): boolean;
  /** The credentials whose target matches `filter` (a trailing `*` is a wildcard). */
  list(filter: string): StoredCredential[];
}

export class WincredCallError extends Error {
  constructor(readonly call: string, readonly lastError: number) {
    super(`${call} failed with Windows error ${lastError}`);
  }
}

const SYMBOLS = {
  CredWriteW: { parameters: ["buffer", "u32"], result: "i32" },
  CredReadW: { parameters: ["buffer", "u32", "u32", "buffer"], result: "i32" },
  CredDeleteW: { parameters: ["buffer", "u32", "u32"], result: "i32" },
  CredEnumerateW: { parameters: ["buffer", "u32", "buffer", "buffer"], result: "i32" },
  CredFree: { parameters: ["pointer"], result: "void" },
} as const;
const KERNEL32 = { GetLastError: { parameters: [], result: "u32" } } as const;

/**
 * Opens advapi32 and kernel32. The calls are synchronous: each is a local RPC to the Credential
 * Manager service that answers in milliseconds, and a synchronous call is what lets
 * GetLastError, which is per thread, be read right after the call that failed.
 */
export function openWincredApi(): WincredApi {
  const advapi = Deno.dlopen("advapi32.dll", SYMBOLS).symbols;
  const kernel = Deno.dlopen("kernel32.dll", KERNEL32).symbols;
  const address = (buffer: Uint8Array<ArrayBuffer>) =>
    Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer));

  const fetchStruct = (pointer: Deno.PointerObject): StoredCredential => {
    const fields = readCredential(
      new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(pointer, CREDENTIALW_X64.size)),
    );
    const text = (at: bigint) => {
      const p = Deno.UnsafePointer.create(at);
      if (p === null) return "";
      const view = new Deno.UnsafePointerView(p);
      let out = "";
      for (let i = 0;; i += 2) {
        const unit = view.getUint16(i);
        if (unit === 0) return out;
        out += String.fromCharCode(unit);
      }
    };
    const blob = Deno.UnsafePointer.create(fields.credentialBlob);
    return {
      target: text(fields.targetName),
      user: text(fields.userName),
      comment: text(fields.comment),
      persist: fields.persist,
      secret: blob === null || fields.credentialBlobSize === 0 ? "" : fromUtf16(
        new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(blob, fields.credentialBlobSize)),
      ),
    };
  };

  return {
    write(target, user, secret) {
      const { struct, buffers } = credentialForWrite(target, user, secret, address);
      const ok = advapi.CredWriteW(struct as Uint8Array<ArrayBuffer>, 0);
      const lastError = ok ? 0 : kernel.GetLastError();
      // The struct holds only addresses: the buffers behind them must live past the call.
      for (const buffer of buffers) buffer.fill(0);
      if (!ok) throw new WincredCallError("CredWriteW", lastError);
    },
    read(target) {
      const out = new BigUint64Array(1);
      if (!advapi.CredReadW(wideString(target), CRED_TYPE_GENERIC, 0, out)) {
        const lastError = kernel.GetLastError();
        if (lastError === ERROR_NOT_FOUND) return null;
        throw new WincredCallError("CredReadW", lastError);
      }
      const pointer = Deno.UnsafePointer.create(out[0])!;
      try {
        return fetchStruct(pointer);
      } finally {
        advapi.CredFree(pointer);
      }
    },
    remove(target) {
      if (advapi.CredDeleteW(wideString(target), CRED_TYPE_GENERIC, 0)) return true;
      const lastError = kernel.GetLastError();
      if (lastError === ERROR_NOT_FOUND) return false;
      throw new WincredCallError("CredDeleteW", lastError);
    },
    list(filter) {
      const count = new Uint32Array(1);
      const out = new BigUint64Array(1);
      if (!advapi.CredEnumerateW(wideString(filter), 0, count, out)) {
        const lastError = kernel.GetLastError();
        if (lastError === ERROR_NOT_FOUND) return [];
        throw new WincredCallError("CredEnumerateW", lastError);
      }
      const array = Deno.UnsafePointer.create(out[0])!;
      try {
        const pointers = new BigUint64Array(
          Deno.UnsafePointerView.getArrayBuffer(array, count[0] * 8),
        );
        return [...pointers].map((p) => fetchStruct(Deno.UnsafePointer.create(p)!));
      } finally {
        advapi.CredFree(array);
      }
    },
  };
}
