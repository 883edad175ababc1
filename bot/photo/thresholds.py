"""Every photo-check threshold in one place, each with where it comes from."""

# Tavus's image requirements: "≥ 512×512" (docs, Image requirements), judged after EXIF
# orientation because that is how the trainer will see the photo.
MIN_SIDE_PX = 512

# Below this, there is no face to judge (and MediaPipe's graphs reject empty regions): the
# resolution finding says all there is to say.
MIN_ANALYSIS_SIDE_PX = 64

# Detector confidence for counting a face. MediaPipe's full-range detector scored the real
# portraits 0.80–0.95 and never exceeded 0.3 on the no-face photos (cat, coffee, rocket).
FACE_MIN_SCORE = 0.5
# Below this score a detection must be confirmed by the face mesh on a crop around it: a
# tile of a stretched 12 MP astronaut gave a 0.69 "face" on her suit that the mesh rejects.
FACE_SURE_SCORE = 0.9
# The face mesh's own face-presence probability that confirms such a detection.
MESH_PRESENCE_MIN = 0.5

# The numbers below were chosen on tests/photos (real portraits from scikit-image and
# matplotlib, and variants derived from them); `python -m bench.photo_eval` re-measures them.

# --- framing (face box from the detector, relative to the photo) -------------------------
# The portraits used as "good" have faces 20–39 % of the photo width; a close-up that cuts
# the shoulders is ≥ 55 %, a person far away ≤ 10 %.
FACE_WIDTH_MIN = 0.15
FACE_WIDTH_MAX = 0.50
# Face centre further than this from the middle (fraction of width) reads as off-centre.
FACE_CENTRE_MAX_OFFSET = 0.22
# A face box this close to an edge (fraction of the side) is cut off.
EDGE_MARGIN = 0.01
# Shoulders: SHOULDER_ROW_BELOW_FACE face heights below the chin, the person mask must reach
# SHOULDER_REACH_FACES face widths to each side of the face's centre (portraits: 1.2–1.6),
# above SHOULDER_MAX_Y of the height and inside SHOULDER_MIN_X of either edge.
SHOULDER_ROW_BELOW_FACE = 0.8
SHOULDER_REACH_FACES = 0.9
SHOULDER_MAX_Y = 0.93
SHOULDER_MIN_X = 0.02

# --- pose (degrees, from the face mesh's 3-D landmarks) ------------------------------------
# Frontal portraits measure |yaw| < 2°, |roll| < 4°; a side view measures ~50° yaw.
YAW_MAX_DEG = 20.0
ROLL_MAX_DEG = 12.0
# The forehead→chin vector leans ~6–11° on frontal faces; we measure from that neutral.
PITCH_NEUTRAL_DEG = 8.0
PITCH_MAX_DEG = 20.0

# --- light ---------------------------------------------------------------------------------
# Darker cheek over brighter cheek: 0.87–1.0 on the portraits, ≤ 0.65 with one side shaded.
CHEEK_BALANCE_MIN = 0.75
# Mean face luminance (0–255): the portraits sit at 145–175.
FACE_LUMA_MIN = 70.0
FACE_LUMA_MAX = 210.0
# Share of face pixels at the ends of the range that counts as clipped.
CLIPPED_MAX_SHARE = 0.05

# --- sharpness -----------------------------------------------------------------------------
# Laplacian variance of the contrast-normalised, eye-aligned face: 32–490 sharp, ≤ 6 after a
# 1.5 px Gaussian blur.
SHARPNESS_MIN = 15.0

# --- accessories -------------------------------------------------------------------------
# Glasses: edge energy across the nose bridge and the lower rims relative to the cheeks
# (no glasses: bridge 0.8, rims 0.3; real glasses: bridge 1.1, rims 0.56; drawn: > 3, > 1.2).
GLASSES_BRIDGE_STRONG = 1.5
GLASSES_BRIDGE_MIN = 1.0
GLASSES_RIMS_MIN = 0.45
# Sunglasses: the eye band is this dark relative to the cheeks (0.83–0.88 without).
SUNGLASSES_EYES_MAX = 0.45
# Headwear: the band above the forehead, relative to the skin under the eyes, is much darker
# (cap 0.12–0.23, hair 0.72) or a colour far from skin (chromaticity distance ×100).
HEADWEAR_LUMA_RATIO_MAX = 0.45
HEADWEAR_CHROMA_MIN = 10.0
# Face covered: the mouth-and-chin area has almost no texture (a mask), or a hand overlaps.
# (luminance std over mean: mouth and chin 0.14–0.32 bare, 0.00 masked; cheeks ≥ 0.06 bare,
# ≤ 0.03 masked).
LOWER_FACE_TEXTURE_MIN = 0.05
CHEEK_TEXTURE_MIN = 0.04
HAND_OVER_FACE_MIN = 0.25

# --- people ------------------------------------------------------------------------------
