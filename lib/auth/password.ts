import "server-only";
import bcrypt from "bcryptjs";

const COST = 11;
// A real hash (cost 11, as COST) of a random string nobody kept, compared against when the email
// is unknown so that "no such user" takes as long as "wrong password". Written here rather than
// made at load: hashing held the server's thread ~140 ms each time a bundle loaded this module.
const DUMMY_HASH = "$2b$11$6eFDpfrd8v1HBezbejOHhe.oM.Ac8YxdfsLFxyorMQl0MnL1A8.r.";

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, COST);
}

export async function verifyPassword(password: string, hash: string | null | undefined): Promise<boolean> {
  const matches = await bcrypt.compare(password, hash ?? DUMMY_HASH);
  return Boolean(hash) && matches;
}
