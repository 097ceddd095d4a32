import { Tag, encodeElement, encoded } from './der.js';
import type { TbsCertificate } from './certificate.js';

/**
 * The TBSCertificate re-encoded without the extensions whose OIDs are given, every other byte
 * unchanged (RFC 6962 §3.2: the precertificate TBS is the final certificate's TBS without the SCT
 * list extension; a precertificate's own TBS is logged without the poison extension). When no
 * extension is left the `[3]` field is dropped, as DER requires for an empty SEQUENCE OF.
 */
export function tbsWithoutExtensions(cert: TbsCertificate, removeOids: readonly string[]): Uint8Array {
  if (!cert.extensions.some((ext) => removeOids.includes(ext.oid))) return encoded(cert.tbs);
  const parts: Uint8Array[] = [];
  for (const field of cert.tbsFields) {
    if (field.tag !== 0xa3) {
      parts.push(encoded(field));
      continue;
    }
    const kept = cert.extensions.filter((ext) => !removeOids.includes(ext.oid)).map((ext) => encoded(ext.element));
    if (kept.length > 0) parts.push(encodeElement(0xa3, [encodeElement(Tag.Sequence, kept)]));
  }
  return encodeElement(Tag.Sequence, parts);
}
