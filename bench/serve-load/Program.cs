using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using SkiaSharp;

// Starts `semisup serve` (the built CLI) on a free loopback port, sends N requests of a drawn 7 from C concurrent
// clients, and prints throughput, latency percentiles, the server's RSS and failures.
int total = args.Length > 0 ? int.Parse(args[0]) : 2000, clients = args.Length > 1 ? int.Parse(args[1]) : 16;
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
using (var bitmap = new SKBitmap(280, 280))
using (var canvas = new SKCanvas(bitmap))
using (var paint = new SKPaint { Color = SKColors.White, StrokeWidth = 22, StrokeCap = SKStrokeCap.Round, IsAntialias = true })
{
    canvas.Clear(SKColors.Black);
    canvas.DrawLine(70, 60, 210, 60, paint);
    canvas.DrawLine(210, 60, 120, 240, paint);
    using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
    png = data.ToArray();
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
