namespace Semisup.Cli.Serving;

/// <summary>The draw-a-digit page, for a model of a built-in dataset: one self-contained HTML document, no external
/// assets. The bars carry the model's class names (GET api/model).</summary>
public static class DigitPage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Semisup: draw a digit</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 0; padding: 1rem; background: #f4f4f4; color: #111; }
 h1 { font-size: 1.3rem; margin: 0 0 .8rem; }
 main { display: flex; flex-wrap: wrap; gap: 1.2rem; align-items: flex-start; }
 section { background: #fff; padding: .8rem; border-radius: 8px; box-shadow: 0 1px 3px #0002; }
 #pad { width: min(84vw, 280px); height: min(84vw, 280px); background: #000; touch-action: none; cursor: crosshair; display: block; border-radius: 4px; }
 #preview { width: 112px; height: 112px; image-rendering: pixelated; background: #000; display: block; }
 .buttons { display: flex; gap: .5rem; margin-top: .6rem; }
 button, label.button { font: inherit; padding: .45rem .9rem; border: 1px solid #555; border-radius: 6px; background: #fff; cursor: pointer; }
 button:focus-visible, label.button:focus-within { outline: 3px solid #2a6df4; outline-offset: 2px; }
 input[type=file] { position: absolute; width: 1px; height: 1px; opacity: 0; }
 .bar { display: grid; grid-template-columns: minmax(1.2rem, max-content) 1fr 3.5rem; gap: .4rem; align-items: center; margin: .15rem 0; }
 .bar meter { width: 100%; height: 1rem; }
 .bar.best span { font-weight: bold; }
 #result { font-size: 1.4rem; margin: .3rem 0 .6rem; min-height: 1.7rem; }
 #error { color: #b00020; min-height: 1.2rem; }
</style>
</head>
<body>
<h1>Draw a digit</h1>
<main>
 <section aria-labelledby="draw-title">
  <h2 id="draw-title" style="font-size:1rem;margin:0 0 .4rem">Your drawing</h2>
  <canvas id="pad" width="280" height="280" role="img" aria-label="Drawing area: draw a digit with mouse, pen or finger"></canvas>
  <div class="buttons">
   <button id="clear" type="button">Clear</button>
   <label class="button" for="file">Upload image<input id="file" type="file" accept="image/png,image/jpeg" aria-label="Upload an image of a digit (PNG or JPEG)"></label>
  </div>
  <p id="error" role="alert"></p>
 </section>
 <section aria-labelledby="seen-title">
  <h2 id="seen-title" style="font-size:1rem;margin:0 0 .4rem">What the model sees (28×28)</h2>
  <canvas id="preview" width="28" height="28" role="img" aria-label="The 28 by 28 image given to the model"></canvas>
  <p id="result" aria-live="polite">Draw a digit</p>
  <div id="bars" aria-label="Probability of each class"></div>
 </section>
</main>
<script>
(() => {
 const pad = document.getElementById('pad'), ctx = pad.getContext('2d');
 const preview = document.getElementById('preview'), pctx = preview.getContext('2d');
 const result = document.getElementById('result'), error = document.getElementById('error'), bars = document.getElementById('bars');
 const meters = [];
 for (let k = 0; k < 10; k++) {
  const row = document.createElement('div'); row.className = 'bar';
  row.innerHTML = `<span id="l${k}">${k}</span><meter id="m${k}" min="0" max="1" value="0" aria-labelledby="l${k}"></meter><output id="v${k}">0%</output>`;
  bars.appendChild(row); meters.push(row);
 }
 function label(classes) { classes.forEach((c, k) => { const l = document.getElementById('l' + k); if (l) l.textContent = c; }); }
 fetch('api/model').then(r => r.json()).then(m => label(m.classes)).catch(() => {});
 function clear() {
  ctx.fillStyle = '#000'; ctx.fillRect(0, 0, pad.width, pad.height);
  pctx.fillStyle = '#000'; pctx.fillRect(0, 0, 28, 28);
  result.textContent = 'Draw a digit'; error.textContent = ''; inked = false;
  meters.forEach((row, k) => { row.classList.remove('best'); document.getElementById('m' + k).value = 0; document.getElementById('v' + k).textContent = '0%'; });
 }
 let version = 0, drawing = false, inked = false, last = null, timer = null, busy = false, again = false;
 function point(e) { const r = pad.getBoundingClientRect(); return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height]; }
 pad.addEventListener('pointerdown', e => { drawing = true; pad.setPointerCapture(e.pointerId); last = point(e); stroke(last, last); });
 pad.addEventListener('pointermove', e => { if (!drawing) return; const p = point(e); stroke(last, p); last = p; });
 const up = () => { if (drawing) { drawing = false; schedule(0); } };
 pad.addEventListener('pointerup', up); pad.addEventListener('pointercancel', up);
 function stroke(a, b) {
  ctx.strokeStyle = '#fff'; ctx.lineWidth = 20; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
  ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke(); inked = true;
  pad.dataset.version = ++version; schedule(200);
 }
 function schedule(ms) { clearTimeout(timer); timer = setTimeout(() => { const v = version; pad.toBlob(b => send(b, 'image/png', v), 'image/png'); }, ms); }
 async function send(blob, type, v) {
  if (busy) { again = true; return; }
  busy = true;
  try {
   const r = await fetch('api/predict', { method: 'POST', headers: { 'Content-Type': type }, body: blob });
   const j = await r.json();
   if (!r.ok) { error.textContent = j.error || ('error ' + r.status); return; }
   error.textContent = ''; show(j); preview.dataset.version = v;
  } catch (e) { error.textContent = 'The server did not answer: ' + e; }
  finally { busy = false; if (again) { again = false; schedule(0); } }
 }
 function show(j) {
  const img = pctx.createImageData(28, 28);
  j.preview.forEach((v, i) => { const g = Math.round(255 * v); img.data.set([g, g, g, 255], 4 * i); });
  pctx.putImageData(img, 0, 0);
  label(j.classes);
  j.probabilities.forEach((p, k) => {
   document.getElementById('m' + k).value = p; document.getElementById('v' + k).textContent = (100 * p).toFixed(1) + '%';
   meters[k].classList.toggle('best', k === j['class']);
  });
  result.innerHTML = j.blank ? '<span id="blank">No ink found: the image is blank, so the answer means nothing.</span>'
   : 'Predicted: <strong id="predicted"></strong>';
  if (!j.blank) document.getElementById('predicted').textContent = j.name; // a name is text, never markup
 }
 document.getElementById('clear').addEventListener('click', clear);
 document.getElementById('file').addEventListener('change', e => {
  const f = e.target.files[0]; if (!f) return;
  const type = f.type === 'image/jpeg' ? 'image/jpeg' : 'image/png';
  const url = URL.createObjectURL(f), im = new Image();
  im.onload = () => { ctx.fillStyle = '#000'; ctx.fillRect(0, 0, pad.width, pad.height); ctx.drawImage(im, 0, 0, pad.width, pad.height); URL.revokeObjectURL(url); };
  im.src = url;
  pad.dataset.version = ++version; send(f, type, version);
  e.target.value = '';
 });
 clear();
})();
</script>
</body>
</html>
""";
}
