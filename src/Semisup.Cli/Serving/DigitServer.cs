using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Semisup.Data;
using Semisup.Runs;

namespace Semisup.Cli.Serving;

/// <summary>The answer to one image: its class, the classes' probabilities and the 28×28 image the model saw.</summary>
public sealed record DigitAnswer(int Class, float[] Probabilities, float[] Preview);

/// <summary>Checkpoints (one, or an ensemble averaged) answering one image at a time.</summary>
public sealed class DigitPredictor(IReadOnlyList<string> checkpoints) : IDisposable
{
    readonly Ensemble ensemble = new(checkpoints);

    public DigitAnswer Predict(byte[] encoded)
    {
        var pixels = DigitImage.FromBytes(encoded);
        var p = ensemble.Probabilities(pixels);
        return new DigitAnswer(Array.IndexOf(p, p.Max()), p, pixels);
    }

    public void Dispose() => ensemble.Dispose();
}

/// <summary>The web server: GET / (the page), POST /api/predict, GET /healthz; loopback only.</summary>
public sealed class DigitServer : IAsyncDisposable
{
    /// <summary>Bodies larger than this are refused with 413.</summary>
    public const long MaxBodyBytes = 5 * 1024 * 1024;

    public WebApplication App { get; }
    public string Url { get; }
    readonly DigitPredictor predictor;

    DigitServer(WebApplication app, DigitPredictor predictor)
    {
        App = app;
        this.predictor = predictor;
        Url = app.Urls.First();
    }

    /// <summary>Loads the checkpoints and starts listening on 127.0.0.1:<paramref name="port"/> (0: any free port).</summary>
    public static DigitServer Start(IReadOnlyList<string> checkpoints, int port)
    {
        var predictor = new DigitPredictor(checkpoints);
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = MaxBodyBytes);
            var app = builder.Build();
            Map(app, predictor);
            try { app.StartAsync().GetAwaiter().GetResult(); }
            catch (IOException e) { throw new SemisupException($"cannot listen on 127.0.0.1:{port}: {e.Message}"); }
            var server = new DigitServer(app, predictor);
            return server;
        }
        catch
        {
            predictor.Dispose();
            throw;
        }
    }

    static void Map(WebApplication app, DigitPredictor predictor)
    {
        app.MapGet("/", () => Results.Content(DigitPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapPost("/api/predict", async (HttpRequest request) =>
        {
            var type = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
            if (type is not ("image/png" or "image/jpeg"))
                return Error(415, $"Content-Type {(type ?? "(none)")} is not accepted: send image/png or image/jpeg.");
            if (request.ContentLength > MaxBodyBytes) return TooLarge();
            byte[] body;
            try
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                body = buffer.ToArray();
            }
            catch (BadHttpRequestException e) when (e.StatusCode == 413) { return TooLarge(); }
            if (body.Length == 0) return Error(400, "The body is empty: send a PNG or JPEG image.");
            try
            {
                var answer = predictor.Predict(body);
                return Results.Json(new Dictionary<string, object>
                {
                    ["class"] = answer.Class, ["probabilities"] = answer.Probabilities, ["preview"] = answer.Preview,
                });
            }
            catch (SemisupException e) { return Error(e.Message.Contains("too large") ? 413 : 400, e.Message); }
        });
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
