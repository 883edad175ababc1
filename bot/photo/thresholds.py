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

# --- when no face is found (bot/photo/absence.py, diagnosis.py) -----------------------------
# Detections this sure are kept as "half seen" candidates (counted faces need FACE_MIN_SCORE).
WEAK_FACE_MIN_SCORE = 0.15
# Tiles of this share of a larger decode look for faces too small for the usual search
# (a face 2 % of a 3000 px photo's width is 60 px: about 15 px in the detector's input;
# faces down to ~1.2 % are found).
SMALL_FACE_TILE_SHARE = 0.2
# The mesh must be this sure of such a face: real ones 1.00 (at 1–3 % of the width), a
# pattern in a sideways photo's hair 0.77.
SMALL_FACE_MESH_SURE = 0.95
# The larger decode's long edge, for that search.
SMALL_FACE_DECODE_EDGE = 3072
# Mean brightness (0–255) outside which the exposure may hide the face: a copy with it
# corrected is searched too. The portraits sit at 95–125; a face vanishes below ~10 and
# (bright) above ~225.
EXPOSURE_DARK_MEAN = 35.0
EXPOSURE_BRIGHT_MEAN = 205.0
# A photo this far gone hides any face, found or not: mostly pure black or blown-out white
# (too-dark variants: 62–100 % black; too-bright ones: 55–93 % white; the portraits ≤ 14 %).
CLIPPED_BLACK_EXTREME = 0.6
CLIPPED_WHITE_EXTREME = 0.5
MEAN_DARK_EXTREME = 12.0
MEAN_BRIGHT_EXTREME = 235.0
# Share of the photo the person mask covers when a person is there: covered-face variants
# 0.34–0.82; a cat filling the frame 0.92, a starfield or a rocket ≤ 0.04.
PERSON_SHARE_MIN = 0.25
PERSON_SHARE_MAX = 0.88
# A head on shoulders in the person mask: the rows in the top HEAD_BAND of the photo below
# the mask's first row at least HEAD_ROW_MIN wide, against the widest row SHOULDERS_BELOW
# further down. Portraits and covered variants: 0.23–0.57; a cat 0.72 (and too big anyway).
HEAD_ROW_MIN = 0.05
HEAD_BAND = 0.12
SHOULDERS_BELOW = 0.2
HEAD_RATIO_MIN = 0.1
HEAD_RATIO_MAX = 0.65
# A half-seen, face-sized shape where a person is: a hidden face. Covered variants scored
# 0.45–0.80 at 18–60 % of the width; the weak detections on a cat, coffee, a rocket and a
# starfield were ≤ 0.58 but ≤ 6 % wide (or ≤ 0.25 when wider).
HIDDEN_FACE_MIN_SCORE = 0.45
HIDDEN_FACE_MIN_WIDTH = 0.12
# A photo turned a quarter or a half shows its face plainly once turned back: sure detection
# (the sideways variants scored 0.65–0.91), a mesh sure of it, a face-sized box, and clearly
# better than anything half seen upright (covered faces had cloth patterns "found" upside
# down at 0.5–0.7, never better than upright by more than 0.03).
TURNED_FACE_MIN_SCORE = 0.6
TURNED_FACE_MIN_WIDTH = 0.08
TURNED_MESH_SURE = 0.9
TURNED_FACE_MARGIN = 0.05
# Its landmarks count (for "turned away") only when the mesh half believes them.
TURNED_MESH_PRESENCE_MIN = 0.2
TURNED_YAW_DEG = 40.0
TURNED_PITCH_DEG = 35.0

# --- framing (face box from the detector, relative to the photo) -------------------------
# The portraits used as "good" have faces 20–39 % of the photo width; a close-up that cuts
# the shoulders is ≥ 55 %, a person far away ≤ 10 %.
FACE_WIDTH_MIN = 0.15
# Below this the face is tiny (a person across a room): a fail, as when only the finer search
# for small faces finds it (a 3 % face in a 12 MP photo is ~120 px wide before any crop).
FACE_WIDTH_TINY = 0.05
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
# A hand this much over the face box is no pose: hands over a face overlapped it 44–45 %.
HAND_OVER_FACE_SURE = 0.4
# Colour of the mouth and chin, in CIELAB (L 0–100; chroma and hue of a, b): skin of every
# tone in the set had a hue of 41–90° (grace, astro, six people from t1; lit or shaded),
# with chroma ≥ 13 in colour photos; blue masks and scarves -103 to -128°; white ones
# chroma 0 at L 86–93; a black one chroma 1 at L 21 (a dark beard may look like that).
COVER_SKIN_CHROMA_MIN = 6.0  # the skin under the eyes must show colour for colour to count
COVER_COLOUR_CHROMA_MIN = 10.0
SKIN_HUE_MIN_DEG = 15.0
SKIN_HUE_MAX_DEG = 110.0
COVER_GREY_CHROMA_MAX = 4.0
COVER_WHITE_MIN = 59.0
COVER_WHITE_MAX = 96.0  # above: blown out, which the exposure check reports
COVER_DARK_MAX = 31.0

# --- people ------------------------------------------------------------------------------
