"""Loads an exported version folder the way TF Serving does, in a Python that can import only TensorFlow.

Run as `python tests/serving_check.py <version dir> <requests.json> <out.json>` (by tests/test_export*.py).
The requests file maps a signature name to a REST body in the columnar format ({"inputs": {...}}).
For each, the body is turned into a serialised PredictRequest (tensorflow-serving-api's protos), run
through a Session loaded with tf.compat.v1.saved_model.load, and the PredictResponse turned back into
REST JSON; the same request also goes through the TF2 loader. Both answers are written to out.json.
"""
import sys

for blocked in ("keras", "tf_keras", "tensorflow_probability", "tensorflow_text"):
    sys.modules[blocked] = None  # any import of these now raises ImportError

import json  # noqa: E402
import os  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import saved_model_pb2  # noqa: E402
from tensorflow.python.framework import op_def_registry  # noqa: E402
from tensorflow_serving.apis import predict_pb2  # noqa: E402


def check_layout(path):
    version = os.path.basename(os.path.normpath(path))
    assert version.isdigit(), f"version folder {version!r} is not an integer"
    for entry in ("saved_model.pb", "variables", "assets"):
        assert os.path.exists(os.path.join(path, entry)), f"{entry} missing in {path}"


def unregistered_ops(path):
    """Op types used by the graph or its function library that core TensorFlow does not register."""
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    op_types = set()
    for meta_graph in saved_model.meta_graphs:
        op_types.update(node.op for node in meta_graph.graph_def.node)
        for function in meta_graph.graph_def.library.function:
            op_types.update(node.op for node in function.node_def)
    functions = {f.signature.name for mg in saved_model.meta_graphs for f in mg.graph_def.library.function}
    return sorted(op for op in op_types if op not in functions and op_def_registry.get(op) is None), len(op_types)


def rest_to_predict_request(body, signature_name, signature_def):
    """What the model server does with a columnar REST body: one TensorProto per named input."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "model"
    request.model_spec.signature_name = signature_name
    for alias, value in body["inputs"].items():
        dtype = tf.dtypes.as_dtype(signature_def.inputs[alias].dtype)
        request.inputs[alias].CopyFrom(tf.make_tensor_proto(np.array(value, dtype=dtype.as_numpy_dtype)))
    return predict_pb2.PredictRequest.FromString(request.SerializeToString())  # over the wire


def run_in_session(session, signature_def, request):
    """The Session.run TF Serving does: feeds (with the signature's defaults), fetches all outputs."""
    feeds = {}
    for alias, info in signature_def.inputs.items():
        if alias in request.inputs:
            feeds[info.name] = tf.make_ndarray(request.inputs[alias])
        else:
            assert alias in signature_def.defaults, f"input {alias} is required"
            feeds[info.name] = tf.make_ndarray(signature_def.defaults[alias])
    aliases = sorted(signature_def.outputs)
    values = session.run([signature_def.outputs[a].name for a in aliases], feed_dict=feeds)
    response = predict_pb2.PredictResponse()
    for alias, value in zip(aliases, values):
        response.outputs[alias].CopyFrom(tf.make_tensor_proto(value))
    return predict_pb2.PredictResponse.FromString(response.SerializeToString())


def response_to_rest(response):
    """The columnar REST answer: {"outputs": {alias: nested lists}}, strings as UTF-8 text."""
    outputs = {}
    for alias, proto in response.outputs.items():
        value = tf.make_ndarray(proto)
        if value.dtype == object:
            value = np.vectorize(lambda b: b.decode("utf-8"), otypes=[object])(value) if value.size else value
        outputs[alias] = value.tolist()
    return {"outputs": outputs}


def main(path, requests_path, out_path):
    with open(requests_path) as f:
        requests = json.load(f)
    check_layout(path)
    missing, num_op_types = unregistered_ops(path)
    assert not missing, f"ops not registered in core TensorFlow: {missing}"
    result = {"num_op_types": num_op_types, "session": {}, "tf2": {}, "errors": {}}
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        meta_graph = tf.compat.v1.saved_model.load(session, ["serve"], path)
        result["signatures"] = sorted(name for name in meta_graph.signature_def if not name.startswith("__"))
        for key, (signature_name, body) in requests.items():
            signature_def = meta_graph.signature_def[signature_name]
            request = rest_to_predict_request(body, signature_name, signature_def)
            try:
                result["session"][key] = response_to_rest(run_in_session(session, signature_def, request))
            except tf.errors.InvalidArgumentError as e:
                result["errors"][key] = e.message
    loaded = tf.saved_model.load(path)
    for key, (signature_name, body) in requests.items():
        if key in result["errors"]:
            continue
        function = loaded.signatures[signature_name]
        inputs = {alias: tf.constant(value, dtype=function.structured_input_signature[1][alias].dtype)
                  for alias, value in body["inputs"].items()}
        for alias, default in meta_graph.signature_def[signature_name].defaults.items():
            inputs.setdefault(alias, tf.constant(tf.make_ndarray(default)))  # as TF Serving does
        outputs = function(**inputs)
        result["tf2"][key] = {alias: (value.numpy().astype(str).tolist() if value.dtype == tf.string
                                      else value.numpy().tolist()) for alias, value in outputs.items()}
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main(*sys.argv[1:4])
