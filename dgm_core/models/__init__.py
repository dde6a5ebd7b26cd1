"""Model families, one file each (vae, miwae, ...). Import the module you need."""
