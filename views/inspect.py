"""Inspect: look inside a trained network: feature maps, filters, prediction, evaluation, Grad-CAM."""

import streamlit as st

from cnnviz.text.escape import for_markdown
from cnnviz.ui import state
from cnnviz.ui.inspect import evaluation as inspect_eval
from cnnviz.ui.inspect import image as inspect_image
from cnnviz.ui.inspect import layers as inspect_layers
from cnnviz.ui.inspect import model as inspect_model
from cnnviz.ui.inspect import predict as inspect_predict
from cnnviz.ui.present import entry as present

st.title("Inspect")
st.caption(
    "Look inside a trained network: what each layer outputs for one image, what the filters learned, "
    "how sure the network is, where it goes wrong, and where it looks."
)

subject = inspect_model.choose_subject()
if subject is None:
    st.stop()
present.presentation_button(subject.run_dir and subject.run_dir.name, key="inspect.present")

bundle, why_not = inspect_eval.test_split(subject)
if bundle is None and why_not and inspect_image.is_image_input(subject):
    draw = " or draw one." if inspect_image.is_digit_like(subject) else "."
    st.warning(f"{for_markdown(why_not)} You can still upload an image{draw}")

# presenter mode's larger text cut the controls off at 1024×768 ("Up…"): one under the other
left, right = (
    (st.container(), st.container()) if state.teaching() else st.columns([3, 2], gap="large")
)
with left:
    evaluation = inspect_eval.cached_evaluation(subject)
    if (
        bundle is not None
        and evaluation is None
        and st.session_state.get("inspect.source") == "A mistake"
    ):
        evaluation = inspect_eval.evaluation_for(subject, bundle)
    chosen = inspect_image.choose_image(subject, bundle, evaluation)
with right:
    if chosen is not None:
        inspect_image.show_chosen(chosen, subject)
        inspect_image.unlike_warning(chosen, bundle)

TABS = ["Feature maps", "Filters", "Prediction", "Evaluation", "Where it looks"]
tabs = dict(zip(TABS, st.tabs(TABS, key="inspect.tab", on_change="rerun"), strict=True))

with tabs["Filters"]:
    if tabs["Filters"].open:
        inspect_layers.filters_tab(subject)
with tabs["Evaluation"]:
    if tabs["Evaluation"].open:
        inspect_eval.evaluation_tab(subject, bundle, why_not)

needs_image = ("Feature maps", "Prediction", "Where it looks")
if chosen is None:
    for name in needs_image:
        with tabs[name]:
            if inspect_image.is_image_input(subject):
                st.info(inspect_image.choose_hint(subject, bundle))
            else:
                st.info(
                    "This network does not take images; the Filters tab still shows its weights."
                )
    st.stop()

try:
    x = subject.normalization.apply(chosen.x)  # uint8 [1, C, H, W] -> float, like the training data
except (ValueError, RuntimeError) as e:
    st.error(f"The image could not be normalized like the training data: {for_markdown(e)}")
    st.stop()

with tabs["Feature maps"]:
    if tabs["Feature maps"].open:
        inspect_layers.feature_maps_tab(subject, x)
with tabs["Prediction"]:
    if tabs["Prediction"].open:
        inspect_predict.prediction_tab(subject, chosen, x)
with tabs["Where it looks"]:
    if tabs["Where it looks"].open:
        inspect_predict.gradcam_tab(subject, chosen, x)
