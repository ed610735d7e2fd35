// `idemchaos init --from openapi.yaml`: the document in, one scenario file
// per selected operation out, each checked by the same loader `validate`
// uses before it is handed back.
import path from 'node:path';
import { loadFile } from '../run/load.js';
import { formatMessages } from '../scenario/errors.js';
import { presetForFlag, type Preset } from '../scenario/presets.js';
import { loadApiDocument } from './document.js';
import { label, type ApiDocument, type ApiOperation } from './model.js';
import { buildScenario, type OtherOperation } from './scenario.js';
import { selectOperations, type Selection } from './select.js';

export interface GenerateOptions {
  /** The document, as the user named it. */
  from: string;
  /** The folder the files go to. */
  out: string;
  operations: string[];
  allPosts: boolean;
  /** `--preset`. */
  preset?: string;
}

export interface GeneratedFile {
  /** Path of the file: `out` joined with its name. */
  file: string;
  text: string;
  op: ApiOperation;
}

export interface Generated {
  api: ApiDocument;
  selection: Selection;
  files: GeneratedFile[];
}

export async function generateScenarios(options: GenerateOptions): Promise<Generated> {
  const preset: Preset = presetForFlag(options.preset);
  const api = await loadApiDocument(options.from);
  const selection = selectOperations(api, { keyHeader: preset.header, operations: options.operations, allPosts: options.allPosts });
  const names = fileNames(selection.taken.map((c) => c.op));
  const schemaRef = path.posix.join(path.relative(options.out, '.').split(path.sep).join('/') || '.', 'node_modules/idemchaos/schema/scenario.schema.json');
  const files: GeneratedFile[] = selection.taken.map((chosen, i) => {
    const others: OtherOperation[] = selection.taken
      .map((c, j) => ({ name: c.op.operationId ?? label(c.op), method: c.op.method, path: c.op.path, file: names[j]! }))
      .filter((_, j) => j !== i);
    const text = buildScenario({
      api,
      chosen,
      preset,
      ...(options.preset ? { presetFlag: options.preset } : {}),
      others,
      source: options.from,
      schemaRef: schemaRef.startsWith('.') ? schemaRef : `./${schemaRef}`,
    });
    const file = path.join(options.out, names[i]!);
    selfCheck(file, text);
    return { file, text, op: chosen.op };
  });
  return { api, selection, files };
}

/**
 * A generated file must load as `validate` loads it (undefined env, vars and
 * secrets are warnings there): anything else is a bug in the generator.
 */
function selfCheck(file: string, text: string): void {
  const result = loadFile(file, text, { scope: { env: {}, vars: {}, secrets: {} }, undefinedVariables: 'warn' });
  if (result.errors.length === 0) return;
  throw new Error(`idemchaos generated a scenario that does not validate (a bug; please report it with the document):\n\n${formatMessages(result.errors, new Map([[file, text]]))}\n\n${text}`);
}

/** `operationId.yaml`, else `post-orders.yaml`; unique without regard to case. */
export function fileNames(ops: ApiOperation[]): string[] {
  const used = new Set<string>();
  return ops.map((op) => {
    const base =
      (op.operationId ? clean(op.operationId) : '') ||
      clean(`${op.method.toLowerCase()}-${op.path.replace(/[{}]/g, '').split('/').filter(Boolean).join('-') || 'root'}`);
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base}-${n}`;
    used.add(name.toLowerCase());
    return `${name}.yaml`;
  });
}

function clean(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}
