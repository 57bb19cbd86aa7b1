"""Pages served by the process (chat page, index); assets are local, no CDN."""
