"""Which network the lessons work on: this session's training, the open run, or the design.

``lesson_network() -> Net | None`` shows a one-line picker and returns the model with
what is needed to feed it. With a training job or an open run, its trained weights
(the job's are a copy, as on Inspect); otherwise the current design built with
random weights, and the page says so. ``lesson_inputs(net, n)`` gives normalized
images for it, ``activations(net, x)`` every layer's input for one image (cached).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st
import torch
from torch import nn

from cnnviz.data.kinds import NormKind
from cnnviz.data.pipeline import Normalization
from cnnviz.design.export import encode_spec
from cnnviz.design.shapes import first_error, summarize
from cnnviz.design.spec import SpecError
from cnnviz.inspect.capture import layer_module, layer_paths
from cnnviz.learn.inputs import Images, lesson_images
from cnnviz.text.escape import for_markdown
from cnnviz.train.store import RunError
from cnnviz.ui import state

_PICK = "learn.network"
_RANDOM = "learn.random_models"  # {spec code: model}
_IMAGES = "learn.images"  # {(net key, n): (Images, normalized x)}
_CAPS = "learn.captures"  # {(net key, image): [input of layer 0, input of layer 1, ...]}
DESIGN, JOB, RUN = "design", "job", "run"


@dataclass(frozen=True)
class Net:
    key: str
    model: nn.Sequential
    spec: dict
    trained: bool
    note: str
    dataset: str
    normalization: Any
    classes: tuple[str, ...]
    run_dir: Any = None  # the run's folder when trained (its config: the data's counts)


def _random(spec: dict) -> Net | None:
    try:
        rows = summarize(spec)
        err = first_error(rows)
    except SpecError as e:
        err = e
    if err is not None:
        st.error(f"The design cannot be built: {for_markdown(err)}", icon=":material/block:")
        st.page_link(
            "views/design.py", label="Fix it on the Design page", icon=":material/architecture:"
        )
        return None
    code = encode_spec(spec)
    cache: dict = st.session_state.setdefault(_RANDOM, {})
    if code not in cache:
        from cnnviz.train.engine import build_seeded

        try:
            model = build_seeded(spec, 0)
        except SpecError as e:
            st.error(f"The design cannot be built: {for_markdown(e)}", icon=":material/block:")
            return None
        cache.clear()
        cache[code] = model
    return Net(
        f"design:{code}", cache[code], spec, False,
        "the current design with **random weights** (not trained yet: train it on the Train page "
        "to see what it learned)", "", Normalization(NormKind.DIV255), (),
    )  # fmt: skip


def _from_subject(subject: Any) -> Net:
    return Net(
        subject.key, subject.model, subject.spec, True,
        f"**{for_markdown(subject.title)}**, {for_markdown(subject.weights_note)}", subject.dataset,
        subject.normalization, tuple(subject.classes), getattr(subject, "run_dir", None),
    )  # fmt: skip


def lesson_network() -> Net | None:
    """The picker and the chosen network (None after saying why it cannot be used)."""
    from cnnviz.ui.classroom import run_access
    from cnnviz.ui.inspect import model as inspect_model

    run_id = run_access.link_run()  # another's unshared run: said, and dropped
    job = inspect_model._job()  # another's training: said, and not offered
    options = ([JOB] if job is not None else []) + ([RUN] if run_id else []) + [DESIGN]
    labels = {
        JOB: "This session's training",
        RUN: f"The open run ({run_id})",
        DESIGN: "The current design (random weights)",
    }
    if st.session_state.get(_PICK) not in options:
        st.session_state[_PICK] = options[0]
    where: Any = st
    pick = DESIGN
    if len(options) > 1:  # a picker only when there is a choice; the note beside it
        c1, where = st.columns([2, 3], vertical_alignment="center")
        pick = c1.selectbox("Network", options, format_func=labels.get, key=_PICK)
    net = None
    try:
        if pick == JOB:
            subject = inspect_model._job_subject(job)  # a copy, refreshed on request, as on Inspect
            net = _from_subject(subject) if subject is not None else None
        elif pick == RUN:
            info = run_access.find(run_id)
            if info is None or info.problem:
                raise RunError(f"Run {run_id} cannot be opened.")
            net = _from_subject(inspect_model.load_run(info))
    except RunError as e:
        st.info(f"{for_markdown(e)} Using the current design with random weights instead.")
    if net is None:
        net = _random(state.get_spec())
    if net is not None:
        where.caption(f"Working on {net.note}.")  # Markdown: its title escaped where it is built
    return net


def lesson_inputs(net: Net, n: int = 8) -> tuple[Images, torch.Tensor]:
    """(images as uint8 with labels, the same normalized as the network was trained); cached."""
    cache: dict = st.session_state.setdefault(_IMAGES, {})
    key = (net.key, n)
    if key not in cache:
        images = lesson_images(net.spec.get("input", []), net.dataset, n)
        try:
            x = net.normalization.apply(images.x)
        except ValueError:
            x = Normalization(NormKind.DIV255).apply(images.x)
        if len(cache) > 4:
            cache.clear()
        cache[key] = (images, x)
    return cache[key]


def layer_inputs(net: Net, x: torch.Tensor, image: int) -> list[torch.Tensor]:
    """What each layer receives for image ``image`` of ``x``: ``[input of layer 0, ...]`` (cached)."""
    cache: dict = st.session_state.setdefault(_CAPS, {})
    key = (net.key, image, tuple(x.shape))
    if key not in cache:
        outs = [x[image : image + 1]]
        was = net.model.training
        net.model.eval()
        with torch.no_grad():
            for m in net.model:
                outs.append(m(outs[-1]))
        net.model.train(was)
        cache.clear()
        cache[key] = outs
    return cache[key]


def index_slider(
    where: Any, label: str, count: int, key: str, help: str | None = None, default: int = 0
) -> int:
    """A slider over 0..count-1 (just 0, said in words, when there is only one)."""
    if count <= 1:
        where.caption(f"{for_markdown(label)}: 0 (the only one)")
        return 0
    return int(where.slider(label, 0, count - 1, min(default, count - 1), key=key, help=help))


def pick_layer(
    net: Net, kinds: tuple[type, ...], key: str, label: str, where: Any = st
) -> str | None:
    """A selectbox of the network's layers of ``kinds``, those inside blocks included; the
    chosen layer's path ("3", or "4.2" inside a block), None if there are none."""
    rows = {r["path"]: r for r in summarize(net.spec)}
    found = [p for p in layer_paths(net.model) if isinstance(layer_module(net.model, p), kinds)]
    if not found:
        return None
    return where.selectbox(
        label,
        found,
        format_func=lambda p: f"layer {rows[p]['label']}: {rows[p]['name']}" if p in rows else p,
        key=key,
    )


def layer_row(net: Net, path: str) -> dict:
    """The shape engine's row of the layer at ``path``."""
    return next(r for r in summarize(net.spec) if r["path"] == path)


def layer_io(net: Net, x: torch.Tensor, image: int, path: str) -> tuple[torch.Tensor, torch.Tensor]:
    """What the layer at ``path`` receives and gives for image ``image`` of ``x`` (batch first),
    read with hooks during one forward pass in eval mode (a layer inside a block too)."""
    if "." not in path:
        ins = layer_inputs(net, x, image)
        return ins[int(path)], ins[int(path) + 1]
    module = layer_module(net.model, path)
    seen: dict[str, torch.Tensor] = {}

    def hook(_m: nn.Module, args: tuple, out: torch.Tensor) -> None:
        seen["in"], seen["out"] = args[0].detach(), out.detach()

    handle = module.register_forward_hook(hook)
    was = net.model.training
    try:
        net.model.eval()
        with torch.no_grad():
            net.model(x[image : image + 1])
    finally:
        handle.remove()
        net.model.train(was)
    return seen["in"], seen["out"]
