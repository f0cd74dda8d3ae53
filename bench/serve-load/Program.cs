using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using SkiaSharp;

// Starts `semisup serve` (the built CLI) on a free loopback port, sends N requests of a drawn 7 from C concurrent
// clients, and prints throughput, latency percentiles, the server's RSS and failures.
// `large [seconds] [clients]` (default 20 s, 32 clients) sends a 4096×4096 PNG of a drawn 7 for that long instead and
// prints the server's peak RSS and the count of each answer; it fails if the peak is 1 GB or more or any answer is
// neither 200 nor 503 (a full queue).
bool large = args is ["large", ..];
if (large) args = args[1..];
int total = args.Length > 0 ? int.Parse(args[0]) : large ? 20 : 2000, clients = args.Length > 1 ? int.Parse(args[1]) : large ? 32 : 16;
string root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "Semisup.slnx"))) root = Path.GetDirectoryName(root) ?? throw new Exception("repository root not found");
string cli = Path.Combine(root, "src/Semisup.Cli/bin/Release/net10.0/Semisup.Cli.dll");
string checkpoint = Path.Combine(root, "models/gamma-seed1/best.ckpt");

int port;
using (var probe = new TcpListener(IPAddress.Loopback, 0)) { probe.Start(); port = ((IPEndPoint)probe.LocalEndpoint).Port; }
using var server = Process.Start(new ProcessStartInfo("dotnet", ["exec", cli, "serve", "--checkpoint", checkpoint, "--port", port.ToString()])
    { RedirectStandardOutput = false, RedirectStandardError = false })!; // not piped: an undrained pipe would fill and stall the server
long Rss() => long.Parse(File.ReadAllLines($"/proc/{server.Id}/status").First(l => l.StartsWith("VmRSS:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
long Peak() => long.Parse(File.ReadAllLines($"/proc/{server.Id}/status").First(l => l.StartsWith("VmHWM:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;

using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
var ready = Stopwatch.StartNew();
while (true)
{
    try { if ((await http.GetAsync("/healthz")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
    if (server.HasExited || ready.Elapsed > TimeSpan.FromSeconds(60)) throw new Exception("the server did not start");
    await Task.Delay(200);
}

byte[] png;
int side = large ? 4096 : 280;
using (var bitmap = new SKBitmap(side, side))
using (var canvas = new SKCanvas(bitmap))
using (var paint = new SKPaint { Color = SKColors.White, StrokeWidth = 22, StrokeCap = SKStrokeCap.Round, IsAntialias = true })
{
    canvas.Clear(SKColors.Black);
    canvas.Scale(side / 280f);
    canvas.DrawLine(70, 60, 210, 60, paint);
    canvas.DrawLine(210, 60, 120, 240, paint);
    using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
    png = data.ToArray();
}

if (large)
{
    var statuses = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    long rssMax = 0;
    var stop = DateTime.UtcNow + TimeSpan.FromSeconds(total);
    using var sampling = new CancellationTokenSource();
    var sampler = Task.Run(async () =>
    {
        while (!sampling.IsCancellationRequested) { rssMax = Math.Max(rssMax, Rss()); await Task.Delay(100); }
    });
    using var slow = new HttpClient { BaseAddress = http.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        while (DateTime.UtcNow < stop)
        {
            string status;
            try
            {
                using var content = new ByteArrayContent(png);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                using var response = await slow.PostAsync("/api/predict", content);
                var body = await response.Content.ReadAsStringAsync();
                status = response.StatusCode == HttpStatusCode.OK && !body.Contains("\"class\":7") ? "200 but not 7" : ((int)response.StatusCode).ToString();
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable) await Task.Delay(1000); // its Retry-After
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { status = e.GetType().Name; }
            statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        }
    }));
    sampling.Cancel();
    await sampler;
    long peakRss = Peak();
    Console.WriteLine($"{total} s of {clients} clients sending a {png.Length:N0}-byte PNG of {side}×{side} pixels");
    Console.WriteLine($"answers: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
    Console.WriteLine($"server RSS: peak {peakRss} MB (sampled every 100 ms: {rssMax} MB), at the end {Rss()} MB");
    server.Kill();
    server.WaitForExit();
    return peakRss < 1024 && statuses.Keys.All(s => s is "200" or "503") ? 0 : 1;
}

var latencies = new double[total];
int next = -1, failed = 0;
long rssAfter200 = 0;
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < total)
    {
        var t = Stopwatch.StartNew();
        try
        {
            using var content = new ByteArrayContent(png);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var response = await http.PostAsync("/api/predict", content);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || !body.Contains("\"class\":7")) Interlocked.Increment(ref failed);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { Interlocked.Increment(ref failed); }
        latencies[i] = t.Elapsed.TotalMilliseconds;
        if (i == 199) rssAfter200 = Rss();
    }
}));
double seconds = clock.Elapsed.TotalSeconds;
long rssEnd = Rss(), peak = Peak();
Array.Sort(latencies);
double P(double q) => latencies[Math.Min(total - 1, (int)Math.Ceiling(q * total) - 1)];
Console.WriteLine($"requests: {total} from {clients} concurrent clients, a {png.Length}-byte PNG of a drawn 7");
Console.WriteLine($"time: {seconds:F1} s, {total / seconds:F1} requests/s");
Console.WriteLine($"latency: p50 {P(0.50):F1} ms, p99 {P(0.99):F1} ms, max {latencies[^1]:F1} ms");
Console.WriteLine($"server RSS: after 200 requests {rssAfter200} MB, after all {rssEnd} MB, peak {peak} MB");
Console.WriteLine($"failed requests: {failed}");
server.Kill();
server.WaitForExit();
return failed == 0 ? 0 : 1;
