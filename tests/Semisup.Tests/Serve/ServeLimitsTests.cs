using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Semisup.Cli;
using Semisup.Cli.Serving;
using Semisup.Tests.Cli;
using Semisup.Tests.Data;
using SkiaSharp;

namespace Semisup.Tests.Serve;

/// <summary>The server under load and hostile requests: a full queue is 503 with Retry-After, a foreign Host header is
/// refused, a blank image is said to be blank, a bad port is a one-line error.</summary>
[Collection("mnist")]
public class ServeLimitsTests(MnistFixture mnist)
{
    /// <summary>A body that sends its first bytes, then waits until <see cref="Finish"/>: a request held in progress.</summary>
    sealed class HeldBody(byte[] bytes) : HttpContent
    {
        readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Finish() => release.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, 10));
            await stream.FlushAsync();
            Started.TrySetResult();
            await release.Task;
            await stream.WriteAsync(bytes.AsMemory(10));
        }

        protected override bool TryComputeLength(out long length) { length = bytes.Length; return true; }
    }

    static ByteArrayContent Png(byte[] png)
    {
        var content = new ByteArrayContent(png);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        return content;
    }

    [Fact]
    public async Task A_full_queue_is_503_with_retry_after_and_the_admitted_request_still_gets_its_answer()
    {
        await using var server = PredictionServer.Start([ServeData.Checkpoint], 0, maxPending: 1);
        using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
        var png = ServeData.Png(ServeData.Pixels(mnist, 0));
        var held = new HeldBody(png);
        held.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var first = client.PostAsync("/api/predict", held);
        await held.Started.Task;
        await Task.Delay(200); // the server has admitted it and is reading its body

        using var refused = await client.PostAsync("/api/predict", Png(png));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("busy", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());

        held.Finish();
        using var answered = await first;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        // Once it has left, the next one is admitted.
        using var after = await client.PostAsync("/api/predict", Png(png));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData("evil.example", HttpStatusCode.BadRequest)]
    [InlineData("evil.example:{port}", HttpStatusCode.BadRequest)]
    [InlineData("127.0.0.1.evil.example", HttpStatusCode.BadRequest)]
    [InlineData("localhost:{port}", HttpStatusCode.OK)]
    [InlineData("127.0.0.1:{port}", HttpStatusCode.OK)]
    [InlineData("[::1]:{port}", HttpStatusCode.OK)]
    public async Task Only_the_loopback_host_names_are_served(string host, HttpStatusCode expected)
    {
        await using var server = PredictionServer.Start([ServeData.Checkpoint], 0);
        var url = new Uri(server.Url);
        using var client = new HttpClient();
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/"), (HttpMethod.Post, "/api/predict") })
        {
            using var request = new HttpRequestMessage(method, new Uri(url, path));
            request.Headers.Host = host.Replace("{port}", $"{url.Port}");
            if (method == HttpMethod.Post) request.Content = Png(ServeData.Png(ServeData.Pixels(mnist, 0)));
            using var response = await client.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_blank_image_is_answered_as_blank_and_the_page_says_so()
    {
        await using var server = PredictionServer.Start([ServeData.Checkpoint], 0);
        using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
        async Task<JsonElement> Ask(byte[] png)
        {
            using var response = await client.PostAsync("/api/predict", Png(png));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
        using var white = new SKBitmap(200, 200);
        white.Erase(SKColors.White);
        using var encoded = white.Encode(SKEncodedImageFormat.Png, 100);
        Assert.True((await Ask(encoded.ToArray())).GetProperty("blank").GetBoolean());
        Assert.False((await Ask(ServeData.Png(ServeData.Pixels(mnist, 0)))).GetProperty("blank").GetBoolean());
        Assert.Contains("j.blank ? '<span id=\"blank\">No ink found", await client.GetStringAsync("/"));
    }

    [Theory]
    [InlineData("99999")]
    [InlineData("-1")]
    [InlineData("65536")]
    public async Task A_port_out_of_range_is_a_one_line_error(string port)
    {
        var (code, _, error) = await CliCapture.Run("serve", "-c", ServeData.Checkpoint, "--port", port);
        Assert.Equal(1, code);
        Assert.Equal($"error: --port {port}: give a port from 1 to 65535 (or 0 for any free port).", error.Trim());
    }

    [Fact]
    public void The_server_process_keeps_no_training_allocator_setting()
    {
        Assert.True(ServeCommand.Runs(["serve", "-c", "x.ckpt"]));
        Assert.False(ServeCommand.Runs(["train"]));
        Assert.False(ServeCommand.Runs([]));
    }
}
