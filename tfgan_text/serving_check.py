"""What TF Serving answers to a REST request, without a model server: `python -m tfgan_text.serving_check`.

    python -m tfgan_text.serving_check --savedmodel=savedmodels/x/1 \
        --request='{"signature_name": "score", "inputs": {"texts": ["A man riding a bike."]}}'

prints the REST answer, `{"outputs": {...}}` (or TF Serving's `{"error": "..."}` for a request beyond the
export's limits, exit code 1). It does what `tensorflow_model_server` does with `POST /v1/models/<name>:predict`,
in a Python that can import TensorFlow only (keras, tf_keras, tensorflow-probability and tensorflow-text are
made unimportable first, as they are absent from the server):
1. the version folder's layout (`saved_model.pb`, `variables/`, `assets/`, an integer name);
2. every op of the graph and its function library is registered in core TensorFlow;
3. the model is loaded with TF Serving's Session-based loader (`tf.compat.v1.saved_model.load`, tag "serve");
4. the columnar REST body becomes a serialised `PredictRequest` (tensorflow-serving-api's protos: `pip install
   --no-deps "tensorflow-serving-api==2.21.*"`), each input cast to the signature's dtype, omitted inputs filled
   from the signature's defaults; the session's outputs go back through a `PredictResponse` to REST JSON.

`--requests_file=F.json --out=A.json` answers many requests at once ({key: REST body}); A.json also holds the
signatures, the op count, and each answer of the TF2 loader (`tf.saved_model.load`) for comparison, as
tests/test_export.py checks. docs/serving.md shows a request and its answer.
"""
from __future__ import annotations

import json
import os
import sys

# Absent from a model server; made unimportable before TensorFlow is imported (when run as a command).
NOT_IN_A_MODEL_SERVER = ("keras", "tf_keras", "tensorflow_probability", "tensorflow_text")


def check_layout(path: str) -> None:
    """TF Serving's layout: an integer-named version folder holding the model, its variables and assets."""
    from tfgan_text.errors import UsageError

    version = os.path.basename(os.path.normpath(path))
    if not version.isdigit():
        raise UsageError(f"--savedmodel={path}: the version folder {version!r} is not an integer")
    for entry in ("saved_model.pb", "variables", "assets"):
        if not os.path.exists(os.path.join(path, entry)):
            raise UsageError(f"--savedmodel={path}: no {entry}")


def unregistered_ops(path: str) -> tuple[list[str], int]:
    """(op types of the graph and its function library that core TensorFlow does not register, number of op
    types looked at)."""
    from tensorflow.core.protobuf import saved_model_pb2
    from tensorflow.python.framework import op_def_registry

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


def rest_to_predict_request(body: dict, signature_def):
    """What the model server makes of a columnar REST body: one TensorProto per named input, sent over the wire."""
    import numpy as np
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    from tfgan_text.errors import UsageError

    signature_name = body.get("signature_name", "serving_default")
    unknown = sorted(set(body["inputs"]) - set(signature_def.inputs))
    if unknown:
        raise UsageError(f"--request: {signature_name} has no input {unknown[0]} "
                         f"(its inputs: {', '.join(sorted(signature_def.inputs))})")
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "model"
    request.model_spec.signature_name = signature_name
    for alias, value in body["inputs"].items():
        dtype = tf.dtypes.as_dtype(signature_def.inputs[alias].dtype)
        request.inputs[alias].CopyFrom(tf.make_tensor_proto(np.array(value, dtype=dtype.as_numpy_dtype)))
    return predict_pb2.PredictRequest.FromString(request.SerializeToString())


def run_in_session(session, signature_def, request):
    """The Session.run TF Serving does: feeds (omitted inputs from the signature's defaults), every output."""
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    from tfgan_text.errors import UsageError

    feeds = {}
    for alias, info in signature_def.inputs.items():
        if alias in request.inputs:
            feeds[info.name] = tf.make_ndarray(request.inputs[alias])
        elif alias in signature_def.defaults:
            feeds[info.name] = tf.make_ndarray(signature_def.defaults[alias])
        else:
            raise UsageError(f"--request: the input {alias} is required")
    aliases = sorted(signature_def.outputs)
    values = session.run([signature_def.outputs[a].name for a in aliases], feed_dict=feeds)
    response = predict_pb2.PredictResponse()
    for alias, value in zip(aliases, values):
        response.outputs[alias].CopyFrom(tf.make_tensor_proto(value))
    return predict_pb2.PredictResponse.FromString(response.SerializeToString())


def response_to_rest(response) -> dict:
    """The columnar REST answer: {"outputs": {alias: nested lists}}, strings as UTF-8 text."""
    import numpy as np
    import tensorflow as tf

    outputs = {}
    for alias, proto in response.outputs.items():
        value = tf.make_ndarray(proto)
        if value.dtype == object:
            value = np.vectorize(lambda b: b.decode("utf-8"), otypes=[object])(value) if value.size else value
        outputs[alias] = value.tolist()
    return {"outputs": outputs}


class SessionServer:
    """A version folder loaded as TF Serving loads it, answering REST bodies."""

    def __init__(self, path: str):
        import tensorflow as tf

        from tfgan_text.errors import UsageError

        import importlib.util

        if importlib.util.find_spec("tensorflow_serving") is None:
            raise UsageError("the PredictRequest protos are not installed: pip install --no-deps "
                             "\"tensorflow-serving-api==2.21.*\" (make test installs them)")
        check_layout(path)
        missing, self.num_op_types = unregistered_ops(path)
        if missing:
            raise UsageError(f"--savedmodel={path}: ops not registered in core TensorFlow: {', '.join(missing)}")
        self._graph = tf.Graph()
        self._session = tf.compat.v1.Session(graph=self._graph)
        with self._graph.as_default():
            self.meta_graph = tf.compat.v1.saved_model.load(self._session, ["serve"], path)
        self.signatures = sorted(name for name in self.meta_graph.signature_def if not name.startswith("__"))

    def signature_def(self, body: dict):
        from tfgan_text.errors import UsageError

        name = body.get("signature_name", "serving_default")
        if name not in self.signatures:  # TF Serving: HTTP 400, "Serving signature name ... not found"
            raise UsageError(f"--request: no signature {name!r} (this model has {', '.join(self.signatures)})")
        return self.meta_graph.signature_def[name]

    def predict(self, body: dict) -> dict:
        """The REST answer to `body`: {"outputs": ...}, or {"error": message} for an InvalidArgument."""
        import tensorflow as tf

        signature_def = self.signature_def(body)
        try:
            return response_to_rest(run_in_session(self._session, signature_def,
                                                   rest_to_predict_request(body, signature_def)))
        except tf.errors.InvalidArgumentError as e:
            return {"error": e.message}

    def close(self) -> None:
        self._session.close()


def tf2_answer(loaded, signature_def, body: dict) -> dict:
    """The same request through the TF2 loader's signature function, the signature's defaults filled in."""
    import tensorflow as tf

    function = loaded.signatures[body.get("signature_name", "serving_default")]
    specs = function.structured_input_signature[1]
    inputs = {alias: tf.constant(value, dtype=specs[alias].dtype) for alias, value in body["inputs"].items()}
    for alias, default in signature_def.defaults.items():
        inputs.setdefault(alias, tf.constant(tf.make_ndarray(default)))
    outputs = function(**inputs)
    return {alias: (value.numpy().astype(str).tolist() if value.dtype == tf.string else value.numpy().tolist())
            for alias, value in outputs.items()}


def answer_requests(path: str, requests: dict[str, dict]) -> dict:
    """Every request of {key: REST body} through TF Serving's loader and through the TF2 loader."""
    import tensorflow as tf

    server = SessionServer(path)
    result = {"num_op_types": server.num_op_types, "signatures": server.signatures, "session": {}, "tf2": {},
              "errors": {}}
    try:
        for key, body in requests.items():
            answer = server.predict(body)
            if "error" in answer:
                result["errors"][key] = answer["error"]
            else:
                result["session"][key] = answer
        loaded = tf.saved_model.load(path)
        for key, body in requests.items():
            if key not in result["errors"]:
                result["tf2"][key] = tf2_answer(loaded, server.signature_def(body), body)
    finally:
        server.close()
    return result


# --- command line ---------------------------------------------------------------------------------

def _read_json(text: str, where: str):
    from tfgan_text.errors import UsageError

    try:
        value = json.loads(text)
    except ValueError as e:
        raise UsageError(f"{where}: not JSON ({e})") from None
    return value


def _checked_body(body, where: str) -> dict:
    from tfgan_text.errors import UsageError

    if not isinstance(body, dict) or not isinstance(body.get("inputs"), dict):
        raise UsageError(f'{where}: a REST body in the columnar format, {{"signature_name": ..., "inputs": {{...}}}}')
    return body


def main(argv: list[str]) -> None:
    from absl import flags

    from tfgan_text.cli import parse
    from tfgan_text.errors import UsageError

    cli_flags = flags.FlagValues()
    flags.DEFINE_string("savedmodel", "", "Version folder of an export (savedmodels/<name>/<version>).",
                        flag_values=cli_flags)
    flags.DEFINE_string("request", "", "One REST body, {\"signature_name\": ..., \"inputs\": {...}}; the answer is "
                        "printed.", flag_values=cli_flags)
    flags.DEFINE_string("requests_file", "", "JSON file of {key: REST body}: every answer goes to --out.",
                        flag_values=cli_flags)
    flags.DEFINE_string("out", "", "With --requests_file: the JSON file of the answers.", flag_values=cli_flags)
    c = parse(cli_flags, argv, __doc__)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # the v1 loader's deprecation notice is TF Serving's way, not news
    if not c.savedmodel:
        raise UsageError("--savedmodel is required (an exported version folder, e.g. savedmodels/x/1)")
    if bool(c.request) == bool(c.requests_file):
        raise UsageError("give exactly one of --request (one REST body) and --requests_file (with --out)")
    if c.requests_file and not c.out:
        raise UsageError("--requests_file needs --out (the JSON file of the answers)")
    if c.request:
        body = _checked_body(_read_json(c.request, "--request"), "--request")
        server = SessionServer(c.savedmodel)
        answer = server.predict(body)
        server.close()
        print(json.dumps(answer))
        if "error" in answer:
            sys.exit(1)
        return
    try:
        with open(c.requests_file, encoding="utf-8") as f:
            requests = _read_json(f.read(), f"--requests_file={c.requests_file}")
    except OSError as e:
        raise UsageError(f"--requests_file={c.requests_file}: {e.strerror}") from None
    if not isinstance(requests, dict):
        raise UsageError(f"--requests_file={c.requests_file}: a JSON object of {{key: REST body}}")
    for key, body in requests.items():
        _checked_body(body, f"--requests_file={c.requests_file}, request {key}")
    result = answer_requests(c.savedmodel, requests)
    with open(c.out, "w", encoding="utf-8") as f:
        json.dump(result, f)


def run(argv: list[str] | None = None) -> int:
    from tfgan_text.cli import run_command

    return run_command("tfgan-text serving_check", main, argv)


if __name__ == "__main__":
    for blocked in NOT_IN_A_MODEL_SERVER:  # any import of these now raises ImportError, as in a model server
        sys.modules[blocked] = None
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(run())
