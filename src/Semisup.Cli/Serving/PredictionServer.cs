using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Semisup.Data;
using Semisup.Runs;

namespace Semisup.Cli.Serving;

/// <summary>The answer to one image: its class (index and name), the classes' probabilities, and for a digit model the
/// 28×28 image the model saw, and whether that image held no ink at all (then the class means nothing).</summary>
public sealed record Answer(int Class, string Name, float[] Probabilities, float[]? Preview)
{
    public bool Blank => Preview is { } p && DigitImage.IsBlank(p);
}

/// <summary>Checkpoints (one, or an ensemble averaged) answering one image at a time: a digit model's image prepared as
/// MNIST was, a folder-trained model's decoded as its training images were, at its shape.</summary>
public sealed class Predictor(IReadOnlyList<string> checkpoints, Action<string>? warn = null) : IDisposable
{
    readonly Ensemble ensemble = new(checkpoints, warn);

    public IReadOnlyList<string> Classes => ensemble.Classes;

    /// <summary>Whether the page offers drawing (a digit model) rather than only a photo upload.</summary>
    public bool Digits => ensemble.Digits;

    public (int Channels, int Height, int Width) Input => ensemble.Input;

    /// <param name="raw">Probabilities without the checkpoints' temperatures.</param>
    public Answer Predict(byte[] encoded, bool raw = false)
    {
        float[]? preview = null;
        var p = Digits ? ensemble.Probabilities(preview = DigitImage.FromBytes(encoded), raw: raw) : ensemble.Probabilities(ImageDecoder.DecodeBytes(encoded, ensemble.Shape), raw: raw);
        int k = Array.IndexOf(p, p.Max());
        return new Answer(k, Classes[k], p, preview);
    }

    public void Dispose() => ensemble.Dispose();
}

/// <summary>The web server: GET / (the page: drawing for a digit model, a photo upload otherwise), GET /api/model,
/// POST /api/predict (?raw=true: probabilities without the checkpoints' temperatures), GET /healthz; loopback only.</summary>
public sealed class PredictionServer : IAsyncDisposable
{
    /// <summary>The image types an upload may declare; the decoder reads each by its content.</summary>
    public static readonly string[] ImageTypes = ["image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp"];

    /// <summary>Bodies larger than this are refused with 413.</summary>
    public const long MaxBodyBytes = 5 * 1024 * 1024;

    /// <summary>The host names a request may address (a DNS-rebinding page sends its own); any port.</summary>
    public static readonly string[] AllowedHosts = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Images decode one per core at a time: 32 clients sending 4096×4096 images at once took 3.5 GB.</summary>
    public static int DecodeSlots => Environment.ProcessorCount;

    /// <summary>Requests admitted at once, decoding or waiting with their bodies (320 MB at most); more are answered 503
    /// with Retry-After, so memory stays bounded however many clients send.</summary>
    public const int MaxPending = 64;

    public WebApplication App { get; }
    public string Url { get; }
    readonly Predictor predictor;

    PredictionServer(WebApplication app, Predictor predictor)
    {
        App = app;
        this.predictor = predictor;
        Url = app.Urls.First();
    }

    /// <summary>Loads the checkpoints and starts listening on 127.0.0.1:<paramref name="port"/> (0: any free port).</summary>
    /// <param name="maxPending">Requests admitted at once (<see cref="MaxPending"/>); more get 503.</param>
    public static PredictionServer Start(IReadOnlyList<string> checkpoints, int port, Action<string>? warn = null, int maxPending = MaxPending)
    {
        if (port is < 0 or > 65535) throw new SemisupException($"--port {port}: give a port from 1 to 65535 (or 0 for any free port).");
        var predictor = new Predictor(checkpoints, warn);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes);
            builder.Services.AddHostFiltering(o =>
            {
                o.AllowedHosts = AllowedHosts;
                o.AllowEmptyHosts = false;
            });
            var app = builder.Build();
            app.UseHostFiltering();
            Map(app, predictor, new Admission(DecodeSlots, maxPending));
            try { app.StartAsync().GetAwaiter().GetResult(); }
            catch (IOException e) { throw new SemisupException($"cannot listen on 127.0.0.1:{port}: {e.Message}"); }
            var server = new PredictionServer(app, predictor);
            return server;
        }
        catch
        {
            predictor.Dispose();
            throw;
        }
    }

    /// <summary>How many requests are in (a counter) and how many decode at once (a semaphore).</summary>
    sealed class Admission(int slots, int maxPending)
    {
        readonly SemaphoreSlim decoding = new(slots, slots);
        int pending;

        /// <summary>Admits a request, or false when <c>maxPending</c> are in; an admitted one must call <see cref="Leave"/>.</summary>
        public bool TryEnter()
        {
            if (Interlocked.Increment(ref pending) <= maxPending) return true;
            Interlocked.Decrement(ref pending);
            return false;
        }

        public void Leave() => Interlocked.Decrement(ref pending);

        public async Task<T> Decode<T>(Func<T> work, CancellationToken cancel)
        {
            await decoding.WaitAsync(cancel);
            try { return work(); }
            finally { decoding.Release(); }
        }
    }

    static void Map(WebApplication app, Predictor predictor, Admission admission)
    {
        var page = predictor.Digits ? DigitPage.Html : PhotoPage.Html;
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        var (channels, height, width) = predictor.Input;
        app.MapGet("/api/model", () => Results.Json(new Dictionary<string, object>
        {
            ["classes"] = predictor.Classes, ["input"] = new[] { channels, height, width }, ["drawing"] = predictor.Digits,
        }));
        app.MapPost("/api/predict", async (HttpContext context) =>
        {
            if (!admission.TryEnter())
            {
                context.Response.Headers.RetryAfter = "1";
                return Error(503, "The server is busy with other images; try again in a second.");
            }
            try { return await Predict(context.Request, predictor, admission); }
            finally { admission.Leave(); }
        });
    }

    static async Task<IResult> Predict(HttpRequest request, Predictor predictor, Admission admission)
    {
        var type = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (type is null || !ImageTypes.Contains(type))
            return Error(415, $"Content-Type {(type ?? "(none)")} is not accepted: send {string.Join(", ", ImageTypes[..^1])} or {ImageTypes[^1]}.");
        if (request.ContentLength > MaxBodyBytes) return TooLarge();
        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == 413) { return TooLarge(); }
        if (body.Length == 0) return Error(400, $"The body is empty: send a {ImageDecoder.Formats} image.");
        bool raw = request.Query["raw"].ToString() is "1" or "true";
        try
        {
            var answer = await admission.Decode(() => predictor.Predict(body, raw), request.HttpContext.RequestAborted);
            var json = new Dictionary<string, object>
            {
                ["class"] = answer.Class, ["name"] = answer.Name, ["classes"] = predictor.Classes, ["probabilities"] = answer.Probabilities,
            };
            if (answer.Preview is { } preview) (json["preview"], json["blank"]) = (preview, answer.Blank);
            return Results.Json(json);
        }
        catch (SemisupException e) { return Error(e.Message.Contains("too large") ? 413 : 400, e.Message); }
    }

    static IResult TooLarge() => Error(413, $"The body is larger than {MaxBodyBytes / (1024 * 1024)} MB.");

    static IResult Error(int status, string message) =>
        Results.Json(new Dictionary<string, string> { ["error"] = message }, statusCode: status);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        predictor.Dispose();
    }
}
