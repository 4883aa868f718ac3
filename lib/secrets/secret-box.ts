import crypto from "node:crypto";

/**
 * Sensitive values at rest: AES-256-GCM with a random 96-bit nonce; the stored form is
 * `v1.<key id>.<nonce>.<ciphertext+tag>` (base64url), so a value sealed under another key is
 * recognised and refused with a sentence instead of decrypting to garbage, and any change to
 * the stored bytes fails the tag. Pure apart from randomness.
 */
export class SecretKeyMismatch extends Error {
  constructor() {
    super("A sensitive value was saved with another encryption key (VARIABLES_KEY or DATA_DIR/variables-key changed). Restore the old key, or enter the value again.");
    this.name = "SecretKeyMismatch";
  }
}

export class SecretTampered extends Error {
  constructor() {
    super("A stored sensitive value does not verify (it was changed or damaged). Enter the value again.");
    this.name = "SecretTampered";
  }
}

/** A short, non-secret id of a key, stored with each value. */
export function keyId(key: Buffer): string {
  return crypto.createHash("sha256").update(key).digest("base64url").slice(0, 8);
}

export function seal(key: Buffer, plaintext: string, context: string): string {
  if (key.length !== 32) throw new Error("The variables key must be 32 bytes.");
  const nonce = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return ["v1", keyId(key), nonce.toString("base64url"), body.toString("base64url")].join(".");
}

/** `context` binds the value to where it is stored (its variable's id): moved elsewhere, it does not open. */
export function open(key: Buffer, sealed: string, context: string): string {
  const [version, id, nonce, body] = sealed.split(".");
  if (version !== "v1" || !id || !nonce || !body) throw new SecretTampered();
  if (id !== keyId(key)) throw new SecretKeyMismatch();
  const raw = Buffer.from(body, "base64url");
  if (raw.length < 16) throw new SecretTampered();
  try {
    const decipher = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(0, raw.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretTampered();
  }
}
