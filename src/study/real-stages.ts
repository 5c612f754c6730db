// The real stages behind the sweep: the profiler, the detection pipeline, the COCO evaluator and the
// variant builder, adapted to the StudyStages interface.
import { evaluateBbox, loadGroundTruth } from '../coco-eval/index.ts';
import type { CocoDetection } from '../coco-eval/index.ts';
import type { Model } from '../onnx/proto.ts';
import { profileModel } from '../profiler/index.ts';
import { getFamily, resolveCocoDir, runDetection } from '../scaling/index.ts';
import { withInputSize } from '../variants/input-size.ts';
import type { CocoStats } from './results.ts';
import type { Family, InputSize, LayerSpecificSpec } from './schema.ts';
import type { DetectOptions, Detection, ProfileSummary, ShardRun, StudyStages } from './stages.ts';

function profile(model: Model, inputName: string, size: InputSize): ProfileSummary {
  const p = profileModel(model, { inputShapes: { [inputName]: [1, 3, size.height, size.width] } });
  return {
    macs: p.totals.macs,
    flops: p.totals.flops,
    params: p.totals.params,
    groups: p.groups.map((g) => ({ name: g.name, macs: g.macs, flops: g.flops })),
  };
}

async function detect(o: DetectOptions): Promise<ShardRun> {
  if (o.size.side === undefined && o.size.height !== o.size.width) {
    throw new Error(`input ${o.size.height}x${o.size.width}: only --size numbers can be run; an explicit HxW is for profile-only studies`);
  }
  const run = await runDetection({
    modelPath: o.modelPath,
    family: o.family,
    imagesDir: o.imagesDir,
    annotationsPath: o.annotationsPath,
    size: o.size.side ?? o.size.height,
    threads: o.threads,
    onProgress: o.onProgress,
  });
  return { detections: run.detections, images: run.images, seconds: run.seconds };
}

function evaluate(annotationsPath: string, detections: Detection[]): CocoStats {
  const gt = loadGroundTruth(annotationsPath);
  return { ...evaluateBbox(gt, detections as CocoDetection[]).stats };
}

async function buildVariant(_model: Model, spec: LayerSpecificSpec, _family: Family): Promise<Model> {
  throw new Error(`light-head variants (${spec.block}) need src/variants/index.ts, which has not landed yet`);
}

export function realStages(): StudyStages {
  return {
    resolveCoco: (dir) => resolveCocoDir(dir),
    inputShape: (family, side) => {
      const [height, width] = getFamily(family).representativeInput(side);
      return { height, width };
    },
    profile,
    resize: (model, size) => withInputSize(model, size.height, size.width),
    buildVariant,
    detect,
    evaluate,
  };
}
