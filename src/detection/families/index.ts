import { InputError } from '../../errors.ts';
import { nanodet } from './nanodet.ts';
import { retinanet } from './retinanet.ts';
import { FAMILY_NAMES, type DetectorFamily, type FamilyName } from './types.ts';
import { yolox } from './yolox.ts';

export * from './types.ts';
export { nanodet, retinanet, yolox };

const FAMILIES: Record<FamilyName, DetectorFamily> = { retinanet, nanodet, yolox };

export function isFamilyName(name: string): name is FamilyName {
  return (FAMILY_NAMES as readonly string[]).includes(name);
}

export function getFamily(name: string): DetectorFamily {
  if (!isFamilyName(name)) throw new InputError(`--family ${name}: unknown family (one of ${FAMILY_NAMES.join(', ')})`);
  return FAMILIES[name];
}
