"""Data-level punctuation: the few fixed strings that belong to the data rather than to the
screen, the same whatever the reader's language (screen words live in locales/, house rule 5).
They join Chinese names and words that residents and officers typed, the way those are written.
"""

NAME_SEP = "、"    # between names listed in one cell: 宣讲支队、健康支队
LABEL_SEP = "："   # between who said it and what they said: 王家：想听党课
