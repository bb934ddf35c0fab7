// A model "from elsewhere" for tests: the two-tower model rewritten with other input and output names and
// shapes, as another exporter would have written it. Used by the unit tests of `drill model manifest` and by
// the drill that runs against your own model.
import { onnx } from 'onnx-proto';

const { DataType } = onnx.TensorProto;

export type Graph = onnx.IGraphProto;

/** `model` with its graph changed by `edit`, re-encoded. */
export function rewriteModel(model: Uint8Array, edit: (graph: Graph) => void): Uint8Array {
  const decoded = onnx.ModelProto.decode(model);
  edit(decoded.graph!);
  return onnx.ModelProto.encode(decoded).finish();
}

function renameInput(graph: Graph, from: string, to: string): void {
  graph.input!.find((i) => i.name === from)!.name = to;
  for (const node of graph.node!) node.input = node.input!.map((name) => (name === from ? to : name));
}

/**
 * Inputs uid [1,1] (flattened before its lookup), u_feats, cand_ids, cand_feats; the output out_score [N,1]
 * (the original's final Reshape dropped).
 */
export function exportedElsewhere(graph: Graph, userFeatures = 'u_feats'): void {
  renameInput(graph, 'user_id', 'uid_flat');
  graph.input!.find((i) => i.name === 'uid_flat')!.name = 'uid';
  graph.input!.find((i) => i.name === 'uid')!.type!.tensorType!.shape!.dim = [{ dimValue: 1 }, { dimValue: 1 }];
  graph.node!.unshift({ name: 'uid_flat', opType: 'Reshape', input: ['uid', 'flat_shape'], output: ['uid_flat'] });
  renameInput(graph, 'user_features', userFeatures);
  renameInput(graph, 'item_ids', 'cand_ids');
  renameInput(graph, 'item_features', 'cand_feats');
  graph.node = graph.node!.filter((n) => n.output![0] !== 'scores');
  graph.node.find((n) => n.output![0] === 'score_column')!.output = ['out_score'];
  graph.output = [{ name: 'out_score', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] } } } }];
}
