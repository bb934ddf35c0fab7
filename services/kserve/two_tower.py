# The two-tower ranking model served by KServe's own ModelServer (the `kserve` package from PyPI), so a drill can
# run against a model server nobody here wrote. It speaks the Open Inference Protocol v2 with the tensors of the
# reference server's metadata: one input per model input the manifest maps, and the scores and the ranking.
#
# On purpose it has none of the reference server's checks: no sha256 verification of the file, no probe set, no
# reload, no hot backup. It loads whatever bytes are in model.onnx when the process starts. The manifest beside the
# file only names the model (name, version, sha256, precision), as a model registry's label would: the judge needs
# to know which model an answer claims in order to tell a wrong one.
import argparse
import json
import os
import uuid

import numpy as np
import onnxruntime as ort
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer, model_server
from kserve.errors import InvalidInput

RANKING_OUTPUT = "ranking"
DATATYPES = {"int64": "INT64", "float32": "FP32"}
NUMPY_TYPES = {"INT64": np.int64, "FP32": np.float32}
# The roles a rank request fills; per-candidate ones take one row per candidate.
PER_CANDIDATE = {"userId": False, "userFeatures": False, "itemIds": True, "itemFeatures": True}


def shape_for(declared, per_candidate):
    """The v2 metadata shape: the candidate dimension (a symbolic one) is -1, a symbolic batch dimension 1."""
    return [d if isinstance(d, int) else (-1 if per_candidate else 1) for d in declared]


class TwoTower(Model):
    def __init__(self, name: str, model_dir: str, role: str):
        super().__init__(name)
        self.model_dir = model_dir
        self.role = role
        self.load()

    def load(self) -> bool:
        with open(os.path.join(self.model_dir, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        self.session = ort.InferenceSession(os.path.join(self.model_dir, "model.onnx"), providers=["CPUExecutionProvider"])
        self.version = manifest["version"]
        io = manifest["io"]
        declared = {spec["name"]: spec for spec in manifest["inputs"]}
        self.inputs = [
            {
                "name": name,
                "datatype": DATATYPES[declared[name]["type"]],
                "shape": shape_for(declared[name]["shape"], PER_CANDIDATE[role]),
            }
            for role, name in io["inputs"].items()
        ]
        self.scores = io["scores"]
        self.parameters = {
            "model_sha256": manifest["sha256"],
            "model_precision": manifest["precision"],
            "replica_name": self.role,
            "replica_role": self.role,
        }
        self.ready = True
        return self.ready

    def get_input_types(self):
        return self.inputs

    def get_output_types(self):
        return [
            {"name": self.scores, "datatype": "FP32", "shape": [-1]},
            {"name": RANKING_OUTPUT, "datatype": "INT32", "shape": [-1]},
        ]

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        feeds = {}
        for spec in self.inputs:
            tensor = payload.get_input_by_name(spec["name"])
            if tensor is None:
                raise InvalidInput(f'input "{spec["name"]}" is missing')
            if tensor.datatype != spec["datatype"]:
                raise InvalidInput(f'input "{spec["name"]}" is {tensor.datatype}, not {spec["datatype"]}')
            feeds[spec["name"]] = np.asarray(tensor.as_numpy(), dtype=NUMPY_TYPES[spec["datatype"]]).reshape(tensor.shape)
        scores = np.asarray(self.session.run([self.scores], feeds)[0], dtype=np.float32).reshape(-1)
        # Best score first, ties by index, as the reference server ranks.
        ranking = np.lexsort((np.arange(scores.size), -scores)).astype(np.int32)
        outputs = [
            InferOutput(name=self.scores, shape=[scores.size], datatype="FP32", data=scores),
            InferOutput(name=RANKING_OUTPUT, shape=[ranking.size], datatype="INT32", data=ranking),
        ]
        # KServe answers 500 to a response without an id; it writes binary outputs only for the outputs requested.
        return InferResponse(
            response_id=payload.id or str(uuid.uuid4()),
            model_name=self.name,
            model_version=self.version,
            infer_outputs=outputs,
            parameters=self.parameters,
            use_binary_outputs=payload.use_binary_outputs,
            requested_outputs=payload.request_outputs,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model_dir", required=True, help="the directory with model.onnx and manifest.json")
    parser.add_argument("--role", default="replica", help="named in every answer's parameters")
    args, _ = parser.parse_known_args()
    ModelServer().start([TwoTower(args.model_name, args.model_dir, args.role)])
