"""What a page asks for, in one call each: the inpainting comparison, the MNAR lab on tables and on images."""
