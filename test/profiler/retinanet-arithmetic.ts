// An independent count of torchvision's RetinaNet-R50-FPN conv MACs from its layer list (ResNet-50 v1.5:
// stride on the 3x3 conv; FPN on C3..C5 with P6/P7 from P5; 4-conv heads with 9 anchors x 91 classes), so
// the profiler's graph-based numbers can be checked against plain arithmetic at any input size.

interface Map2 {
  h: number;
  w: number;
}

function convOut(m: Map2, k: number, s: number, p: number): Map2 {
  return { h: Math.floor((m.h + 2 * p - k) / s) + 1, w: Math.floor((m.w + 2 * p - k) / s) + 1 };
}

function convMacs(m: Map2, cin: number, cout: number, k: number, s = 1, p = Math.floor(k / 2)): { out: Map2; macs: number } {
  const out = convOut(m, k, s, p);
  return { out, macs: out.h * out.w * cout * cin * k * k };
}

export interface RetinaNetMacs {
  stem: number;
  stages: number[];
  fpn: number;
  /** Per level P3..P7: cls and box subnet MACs. */
  levels: { cls: number; box: number }[];
}

export function retinanetMacs(height: number, width: number, classes = 91, anchors = 9): RetinaNetMacs {
  const conv1 = convMacs({ h: height, w: width }, 3, 64, 7, 2, 3);
  let map = convOut(conv1.out, 3, 2, 1); // maxpool
  let inplanes = 64;
  const stages: number[] = [];
  const features: { map: Map2; channels: number }[] = [];
  [3, 4, 6, 3].forEach((blocks, i) => {
    const planes = 64 * 2 ** i;
    let macs = 0;
    for (let b = 0; b < blocks; b++) {
      const stride = b === 0 && i > 0 ? 2 : 1;
      const c1 = convMacs(map, inplanes, planes, 1);
      const c2 = convMacs(map, planes, planes, 3, stride);
      const c3 = convMacs(c2.out, planes, planes * 4, 1);
      macs += c1.macs + c2.macs + c3.macs;
      if (b === 0) macs += convMacs(map, inplanes, planes * 4, 1, stride, 0).macs;
      map = c2.out;
      inplanes = planes * 4;
    }
    stages.push(macs);
    features.push({ map, channels: inplanes });
  });
  let fpn = 0;
  const pyramid: Map2[] = [];
  for (const f of features.slice(1)) {
    fpn += convMacs(f.map, f.channels, 256, 1).macs + convMacs(f.map, 256, 256, 3).macs;
    pyramid.push(f.map);
  }
  const p6 = convMacs(pyramid[2], 256, 256, 3, 2);
  const p7 = convMacs(p6.out, 256, 256, 3, 2);
  fpn += p6.macs + p7.macs;
  pyramid.push(p6.out, p7.out);
  const levels = pyramid.map((m) => {
    const tower = 4 * convMacs(m, 256, 256, 3).macs;
    return { cls: tower + convMacs(m, 256, classes * anchors, 3).macs, box: tower + convMacs(m, 256, 4 * anchors, 3).macs };
  });
  return { stem: conv1.macs, stages, fpn, levels };
}
