// The sandbox page's files: the card a file message shows, its image inline, and the View dialog.
export const $ = (id) => document.getElementById(id);

export const esc = (s) =>
  s
    .replace(/&(?!(amp|lt|gt);)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
/** For attribute values: also escape quotes. */
export const attr = (s) =>
  String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const size = (n) => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`);

/** What the page can show of a file: an image (drawn), text (as text, never as markup), or neither. */
const isImage = (mime) => /^image\/(png|jpeg|gif|webp)$/.test(mime ?? '');
const isText = (mime) => /^text\/|json/.test(mime ?? '');
const ICONS = { markdown: 'MD', png: 'PNG', text: 'TXT' };

/**
 * Files shared in a message (files.completeUploadExternal): a card with the title and a way to read it; an image
 * is also shown in the message, as Slack shows one.
 */
export function renderFiles(message) {
  return (message.files ?? [])
    .map(
      (f) => `<div class="file" data-file="${attr(f.id)}">
        <div class="file-icon">${ICONS[f.filetype] ?? 'FILE'}</div>
        <div class="file-info"><div class="file-title">${esc(f.title)}</div>
          <div class="file-meta">${esc(f.name)} · ${size(f.size)}</div></div>
        <button type="button" data-view-file="${attr(f.id)}" data-title="${attr(f.title)}" data-mime="${attr(f.mimetype ?? '')}">View</button>
        <a href="/files/${attr(f.id)}" download="${attr(f.name)}">Download</a>
      </div>${isImage(f.mimetype) ? `<img class="file-preview" src="/files/${attr(f.id)}" alt="${attr(f.title)}" />` : ''}`,
    )
    .join('');
}

/** The View dialog: the image drawn, a text file as text, anything else a sentence pointing at Download. */
export async function viewFile(id, title, mime) {
  const image = $('file-image');
  const text = $('file-content');
  $('file-title').textContent = title;
  image.hidden = !isImage(mime);
  text.hidden = isImage(mime);
  if (isImage(mime)) {
    image.src = `/files/${id}`;
    image.alt = title;
    text.textContent = '';
  } else if (isText(mime)) {
    const r = await fetch(`/files/${id}`);
    text.textContent = r.ok ? await r.text() : `Could not read the file (${r.status}).`;
  } else
    text.textContent = `This file (${mime || 'unknown type'}) is neither text nor an image: use Download.`;
  $('file-viewer').showModal();
}
