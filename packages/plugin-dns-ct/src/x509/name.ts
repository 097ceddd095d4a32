import { Tag, children, expectTag, readOid, readString, type DerElement } from './der.js';
import { Oid, attributeNames } from './oids.js';

/** A Name formatted for people, and its commonName values. */
export interface FormattedName {
  /** Attributes in the order they appear, `CN=a, O=b` (RFC 4514 in spirit, most specific last). */
  readonly text: string;
  readonly commonNames: readonly string[];
}

/** Formats an X.501 Name (RFC 5280 §4.1.2.4): a SEQUENCE of SETs of AttributeTypeAndValue. */
export function formatName(name: DerElement): FormattedName {
  const parts: string[] = [];
  const commonNames: string[] = [];
  for (const rdn of children(expectTag(name, Tag.Sequence, 'Name'))) {
    for (const attribute of children(expectTag(rdn, Tag.Set, 'RelativeDistinguishedName'))) {
      const [type, value] = children(attribute);
      const oid = readOid(type!);
      const text = readString(value!);
      if (oid === Oid.commonName) commonNames.push(text);
      parts.push(`${attributeNames[oid] ?? oid}=${text.replace(/([,+"\\<>;])/g, '\\$1')}`);
    }
  }
  return { text: parts.join(', '), commonNames };
}
