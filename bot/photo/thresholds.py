"""Every photo-check threshold in one place, each with where it comes from."""

# Tavus's image requirements: "≥ 512×512" (docs, Image requirements), judged after EXIF
# orientation because that is how the trainer will see the photo.
MIN_SIDE_PX = 512

# Tavus accepts JPG or PNG only (docs, Image requirements); names are Pillow's format ids.
ACCEPTED_FORMATS = ("JPEG", "PNG")
