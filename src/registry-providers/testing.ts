import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { createMessage, generateKey, readPrivateKey, sign } from 'openpgp';

/** Shared by the provider registry tests: a zip with one file, and a signing key made for the test. */

/** A zip archive (stored, not compressed) holding one executable file, as a provider release zip holds its binary. */
export function zipOneFile(name: string, content: Buffer): Buffer {
  const nameBytes = Buffer.from(name);
  const crc = crc32(content);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(content.length, 18);
  local.writeUInt32LE(content.length, 22);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  // Made by Unix (3), so that the external attributes carry the mode: an executable.
  central.writeUInt16LE((3 << 8) | 20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(content.length, 20);
  central.writeUInt32LE(content.length, 24);
  central.writeUInt16LE(nameBytes.length, 28);
  central.writeUInt32LE((0o100755 << 16) >>> 0, 38);
  const centralOffset = local.length + nameBytes.length + content.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + nameBytes.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, nameBytes, content, central, nameBytes, end]);
}

export function sha256Hex(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** A fresh signing key: its armoured public half and a function that signs detached, as `gpg --detach-sign` does. */
export async function signingKey(name: string): Promise<{ publicKey: string; sign(content: string): Promise<Buffer> }> {
  const { privateKey, publicKey } = await generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name, email: `${name}@example.com` }],
    format: 'armored',
  });
  const key = await readPrivateKey({ armoredKey: privateKey });
  return {
    publicKey,
    async sign(content: string) {
      const signature = await sign({ message: await createMessage({ binary: Buffer.from(content) }), signingKeys: key, detached: true, format: 'binary' });
      return Buffer.from(signature as Uint8Array);
    },
  };
}
