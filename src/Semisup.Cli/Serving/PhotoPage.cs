namespace Semisup.Cli.Serving;

/// <summary>The photo page, for a model trained on a folder of images: choose or drop a photo, see it as the model crops
/// it (the centre square), and the most probable classes by name. One self-contained HTML document, no external
/// assets; class names are set as text, never as markup.</summary>
public static class PhotoPage
{
    /// <summary>How many classes the page lists, most probable first.</summary>
    public const int Top = 5;

    public static readonly string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Semisup: classify a photo</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 0; padding: 1rem; background: #f4f4f4; color: #111; }
 h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
 #about { margin: 0 0 .8rem; color: #444; }
 main { display: flex; flex-wrap: wrap; gap: 1.2rem; align-items: flex-start; }
 section { background: #fff; padding: .8rem; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
 #drop { width: min(84vw, 280px); height: min(84vw, 280px); border: 2px dashed #888; border-radius: 6px; display: grid; place-items: center; text-align: center; color: #555; overflow: hidden; }
 #drop.over { border-color: #2a6df4; background: #eef3ff; }
 #photo { width: 100%; height: 100%; object-fit: cover; display: none; }
 .buttons { display: flex; gap: .5rem; margin-top: .6rem; }
 label.button { font: inherit; padding: .45rem .9rem; border: 1px solid #555; border-radius: 6px; background: #fff; cursor: pointer; }
 label.button:focus-within { outline: 3px solid #2a6df4; outline-offset: 2px; }
 input[type=file] { position: absolute; width: 1px; height: 1px; opacity: 0; }
 #top { list-style: none; padding: 0; margin: 0; min-width: min(84vw, 320px); }
 .bar { display: grid; grid-template-columns: minmax(4rem, max-content) 1fr 3.5rem; gap: .4rem; align-items: center; margin: .15rem 0; }
 .bar meter { width: 100%; height: 1rem; }
 .bar.best span { font-weight: bold; }
 #result { font-size: 1.4rem; margin: .3rem 0 .6rem; min-height: 1.7rem; }
 #error { color: #b00020; min-height: 1.2rem; max-width: min(84vw, 280px); }
 .note { color: #555; font-size: .9rem; margin: .4rem 0 0; max-width: min(84vw, 280px); }
</style>
</head>
<body>
<h1>Classify a photo</h1>
<p id="about"></p>
<main>
 <section aria-labelledby="photo-title">
  <h2 id="photo-title" style="font-size:1rem;margin:0 0 .4rem">Your photo</h2>
  <div id="drop"><span id="hint">Drop a photo here</span><img id="photo" alt="The photo sent"></div>
  <p class="note">The model sees the centre square shown.</p>
  <div class="buttons">
   <label class="button" for="file">Choose a photo<input id="file" type="file" accept="image/png,image/jpeg,image/webp,image/gif,image/bmp" aria-label="Choose a photo (PNG, JPEG, WebP, GIF or BMP)"></label>
  </div>
  <p id="error" role="alert"></p>
 </section>
 <section aria-labelledby="answer-title">
  <h2 id="answer-title" style="font-size:1rem;margin:0 0 .4rem">The most probable classes</h2>
  <p id="result" aria-live="polite">Choose a photo</p>
  <ol id="top" aria-label="The most probable classes and their probabilities"></ol>
 </section>
</main>
<script>
(() => {
 const TOP = __TOP__;
 const photo = document.getElementById('photo'), hint = document.getElementById('hint'), drop = document.getElementById('drop');
 const result = document.getElementById('result'), error = document.getElementById('error'), top = document.getElementById('top');
 const about = document.getElementById('about');
 let sent = 0, url = null;
 fetch('api/model').then(r => r.json()).then(m => {
  const names = m.classes.length > 12 ? m.classes.slice(0, 12).join(', ') + ', …' : m.classes.join(', ');
  about.textContent = `${m.classes.length} classes: ${names}. Photos are resized and centre-cropped to ${m.input[1]}×${m.input[2]}${m.input[0] === 1 ? ', in gray' : ''}.`;
 }).catch(() => {});
 function row(name, p, best) {
  const li = document.createElement('li'); li.className = best ? 'bar best' : 'bar';
  const label = document.createElement('span'); label.textContent = name;
  const meter = document.createElement('meter'); meter.min = 0; meter.max = 1; meter.value = p; meter.setAttribute('aria-label', name);
  const value = document.createElement('output'); value.textContent = (100 * p).toFixed(1) + '%';
  li.append(label, meter, value); return li;
 }
 function show(j) {
  const order = j.probabilities.map((p, k) => k).sort((a, b) => j.probabilities[b] - j.probabilities[a]).slice(0, TOP);
  top.replaceChildren(...order.map(k => row(j.classes[k], j.probabilities[k], k === j['class'])));
  result.textContent = 'Predicted: ';
  const strong = document.createElement('strong'); strong.id = 'predicted'; strong.textContent = j.name;
  result.append(strong, ` (${(100 * j.probabilities[j['class']]).toFixed(1)}%)`);
 }
 async function send(file) {
  const mine = ++sent;
  if (url) URL.revokeObjectURL(url);
  url = URL.createObjectURL(file); photo.src = url; photo.style.display = 'block'; hint.style.display = 'none';
  result.textContent = 'Asking the model…'; error.textContent = ''; top.replaceChildren();
  try {
   const r = await fetch('api/predict', { method: 'POST', headers: { 'Content-Type': file.type || 'application/octet-stream' }, body: file });
   const j = await r.json();
   if (mine !== sent) return; // a newer photo was chosen meanwhile
   if (!r.ok) { result.textContent = ''; error.textContent = j.error || ('error ' + r.status); return; }
   show(j); document.body.dataset.answered = mine;
  } catch (e) { if (mine === sent) { result.textContent = ''; error.textContent = 'The server did not answer: ' + e; } }
 }
 document.getElementById('file').addEventListener('change', e => { const f = e.target.files[0]; if (f) send(f); e.target.value = ''; });
 drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
 drop.addEventListener('dragleave', () => drop.classList.remove('over'));
 drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); const f = e.dataTransfer.files[0]; if (f) send(f); });
})();
</script>
</body>
</html>
""".Replace("__TOP__", Top.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
