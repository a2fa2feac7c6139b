// The CREDENTIALW jim hands CredWriteW, checked byte by byte against wincred.h's x64 layout and
// the JIM PowerShell module's entry (JIMTokenStore.ps1: generic, target JIM:<key>, user <key>,
// UTF-16 blob, CRED_PERSIST_LOCAL_MACHINE). The real calls run on the Windows lane
// (tests/platform_keyring_test.ts); advapi32 cannot be loaded anywhere else.

import assert from "node:assert/strict";
import {
  buildCredential,
  CRED_PERSIST_LOCAL_MACHINE,
  CRED_TYPE_GENERIC,
  credentialForWrite,
  CREDENTIALW_X64,
  fromUtf16,
  readCredential,
} from "../lib/keyring/wincred_api.ts";

const KEY = "https://jim.example.com:443";
const TOKEN = "rt.A1b2-C3d4_e5~f6";

Deno.test("CredWriteW gets the module's entry: generic, JIM:<key>, user <key>, UTF-16 blob, local machine", () => {
  const buffers = new Map<bigint, Uint8Array>();
  let next = 0x10000n;
  const address = (buffer: Uint8Array) => {
    next += 0x1000n;
    buffers.set(next, buffer);
    return next;
  };
  const { struct } = credentialForWrite(`JIM:${KEY}`, KEY, TOKEN, address);
  assert.equal(struct.length, 80, "sizeof(CREDENTIALW) on x64");
  const view = new DataView(struct.buffer);
  const u32 = (offset: number) => view.getUint32(offset, true);
  const ptr = (offset: number) => view.getBigUint64(offset, true);
  const wide = (at: bigint) => buffers.get(at)!;

  assert.equal(u32(0), 0, "Flags");
  assert.equal(u32(4), CRED_TYPE_GENERIC, "Type");
  assert.equal(CRED_TYPE_GENERIC, 1);
  const target = wide(ptr(8));
  assert.equal(fromUtf16(target), `JIM:${KEY}\0`, "TargetName, NUL-terminated UTF-16");
  assert.equal(ptr(16), 0n, "Comment: none (keyring-rs would write its own)");
  assert.equal(ptr(24), 0n, "LastWritten (ignored by CredWriteW)");
  assert.equal(u32(32), TOKEN.length * 2, "CredentialBlobSize: two bytes a character");
  assert.equal(u32(36), 0, "padding before the blob pointer");
  const blob = wide(ptr(40));
  assert.equal(blob.length, TOKEN.length * 2, "no terminator in the blob");
  assert.deepEqual([...blob.slice(0, 4)], [0x72, 0x00, 0x74, 0x00], "UTF-16LE 'rt'");
  assert.equal(fromUtf16(blob), TOKEN);
  assert.equal(u32(48), CRED_PERSIST_LOCAL_MACHINE, "Persist");
  assert.equal(CRED_PERSIST_LOCAL_MACHINE, 2, "not CRED_PERSIST_ENTERPRISE (3), as keyring-rs");
  assert.equal(u32(52), 0, "AttributeCount");
  assert.equal(ptr(56), 0n, "Attributes");
  assert.equal(ptr(64), 0n, "TargetAlias");
  assert.equal(fromUtf16(wide(ptr(72))), `${KEY}\0`, "UserName");
});

Deno.test("CREDENTIALW offsets follow wincred.h, and reading a struct back gives what was built", () => {
  assert.deepEqual(
    Object.entries(CREDENTIALW_X64),
    [
      ["Flags", 0],
      ["Type", 4],
      ["TargetName", 8],
      ["Comment", 16],
      ["LastWritten", 24],
      ["CredentialBlobSize", 32],
      ["CredentialBlob", 40],
      ["Persist", 48],
      ["AttributeCount", 52],
      ["Attributes", 56],
      ["TargetAlias", 64],
      ["UserName", 72],
      ["size", 80],
    ],
  );
  const fields = {
    type: 1,
    persist: 3,
    targetName: 0x1122334455667788n,
    userName: 0x0102030405060708n,
    comment: 0x99n,
    targetAlias: 0x77n,
    credentialBlob: 0xabcdefn,
    credentialBlobSize: 42,
  };
  assert.deepEqual(readCredential(buildCredential(fields)), fields);
});
