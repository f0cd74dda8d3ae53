using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Semisup.Cli.Serving;
using Semisup.Data;
using Semisup.Tests.Data;
using SkiaSharp;

namespace Semisup.Tests.Serve;

/// <summary>The server started on a free loopback port with the shipped checkpoint, once for the class.</summary>
public sealed class ServeServerFixture : IAsyncLifetime
{
    public PredictionServer Server { get; private set; } = null!;
    public HttpClient Client { get; } = new();

    public Task InitializeAsync()
    {
        Server = PredictionServer.Start([ServeData.Checkpoint], 0);
        Client.BaseAddress = new Uri(Server.Url);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

[Collection("mnist")]
public class ServeApiTests(MnistFixture mnist, ServeServerFixture serve) : IClassFixture<ServeServerFixture>
{
    static async Task<(HttpStatusCode Status, JsonElement Json)> Post(HttpClient client, byte[] body, string? type, bool expectContinue = false)
    {
        using var content = new ByteArrayContent(body);
        if (type != null) content.Headers.ContentType = new MediaTypeHeaderValue(type);
        // With Expect: 100-continue a client waits for the server's go-ahead, so a refused large body is never sent
        // (as browsers and curl do); without it the server's early 413 breaks the pipe under the client's write.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/predict") { Content = content };
        request.Headers.ExpectContinue = expectContinue;
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    static string Error(JsonElement json)
    {
        var message = json.GetProperty("error").GetString()!;
        Assert.DoesNotContain('\n', message);
        return message;
    }

    [Fact]
    public void Listens_on_loopback_only() => Assert.StartsWith("http://127.0.0.1:", serve.Server.Url);

    [Fact]
    public async Task Healthz_answers_ok()
    {
        var response = await serve.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", (await response.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task The_model_is_described_with_its_classes_and_shape_and_offers_drawing()
    {
        var json = JsonDocument.Parse(await serve.Client.GetStringAsync("/api/model")).RootElement;
        Assert.Equal(Enumerable.Range(0, 10).Select(k => $"{k}"), json.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([1, 28, 28], json.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        Assert.True(json.GetProperty("drawing").GetBoolean());
    }

    [Fact]
    public async Task The_page_is_self_contained()
    {
        var html = await serve.Client.GetStringAsync("/");
        Assert.Contains("<canvas id=\"pad\"", html);
        Assert.Contains("name=\"viewport\"", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task A_real_MNIST_digit_as_PNG_gets_its_class_and_the_preview_the_model_sees(int index)
    {
        var pixels = ServeData.Pixels(mnist, index);
        var (status, json) = await Post(serve.Client, ServeData.Png(pixels), "image/png");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(ServeData.Label(mnist, index), json.GetProperty("class").GetInt32());
        Assert.Equal($"{ServeData.Label(mnist, index)}", json.GetProperty("name").GetString());
        Assert.Equal(Enumerable.Range(0, 10).Select(k => $"{k}"), json.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        var p = json.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(10, p.Length);
        Assert.Equal(1.0, p.Sum(), 3);
        var preview = json.GetProperty("preview").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(784, preview.Length);
        Assert.All(preview, v => Assert.InRange(v, 0f, 1f));
        // The preview is exactly the server's preprocessing of the image sent.
        Assert.Equal(DigitImage.FromBytes(ServeData.Png(pixels)), preview);
    }

    [Fact]
    public async Task A_JPEG_digit_gets_its_class()
    {
        int index = ServeData.FirstOf(mnist, 7);
        var (status, json) = await Post(serve.Client, ServeData.Png(ServeData.Pixels(mnist, index), 4, SKEncodedImageFormat.Jpeg), "image/jpeg");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(7, json.GetProperty("class").GetInt32());
    }

    [Fact]
    public async Task A_wrong_content_type_is_415()
    {
        var (status, json) = await Post(serve.Client, ServeData.Png(ServeData.Pixels(mnist, 0)), "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("Content-Type text/plain is not accepted: send image/png, image/jpeg, image/webp, image/gif or image/bmp.", Error(json));
    }

    [Fact]
    public async Task No_content_type_is_415()
    {
        var (status, json) = await Post(serve.Client, ServeData.Png(ServeData.Pixels(mnist, 0)), null);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Contains("not accepted", Error(json));
    }

    [Fact]
    public async Task An_empty_body_is_400()
    {
        var (status, json) = await Post(serve.Client, [], "image/png");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("empty", Error(json));
    }

    [Fact]
    public async Task A_body_that_is_not_an_image_is_400()
    {
        var (status, json) = await Post(serve.Client, "this is not a picture"u8.ToArray(), "image/png");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("the image: not an image (PNG, JPEG, BMP, GIF or WebP expected); send a whole PNG, JPEG, BMP, GIF or WebP image.", Error(json));
    }

    [Fact]
    public async Task A_truncated_PNG_is_400()
    {
        var png = ServeData.Png(ServeData.Pixels(mnist, 0));
        var (status, json) = await Post(serve.Client, png[..(png.Length / 2)], "image/png");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("could not be decoded", Error(json));
    }

    [Fact]
    public async Task A_body_over_5_MB_is_413()
    {
        var (status, json) = await Post(serve.Client, new byte[(int)PredictionServer.MaxBodyBytes + 1], "image/png", expectContinue: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than 5 MB", Error(json));
    }

    [Fact]
    public async Task An_image_over_the_pixel_limit_is_413()
    {
        // 4097×4097 of one colour compresses to a small PNG, well under the body limit.
        using var bitmap = new SKBitmap(4097, 4097, SKColorType.Gray8, SKAlphaType.Opaque);
        bitmap.Erase(SKColors.Black);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 9);
        Assert.True(data.Size < PredictionServer.MaxBodyBytes);
        var (status, json) = await Post(serve.Client, data.ToArray(), "image/png");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("too large", Error(json));
    }

    [Fact]
    public async Task Concurrent_requests_all_get_their_answers()
    {
        var indices = Enumerable.Range(0, 32).ToArray();
        var answers = await Task.WhenAll(indices.Select(i => Post(serve.Client, ServeData.Png(ServeData.Pixels(mnist, i)), "image/png")));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        int right = indices.Count(i => answers[i].Json.GetProperty("class").GetInt32() == ServeData.Label(mnist, i));
        Assert.True(right >= 30, $"{right} of 32 right");
    }
}

[Collection("mnist")]
public class ServeEnsembleTests(MnistFixture mnist)
{
    [Fact]
    public async Task Two_checkpoints_serve_their_averaged_probabilities()
    {
        var png = ServeData.Png(ServeData.Pixels(mnist, 0));
        float[] Probabilities(string json) => JsonDocument.Parse(json).RootElement.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        async Task<float[]> Ask(params string[] checkpoints)
        {
            await using var server = PredictionServer.Start(checkpoints, 0);
            using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
            using var content = new ByteArrayContent(png);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            var response = await client.PostAsync("/api/predict", content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Probabilities(await response.Content.ReadAsStringAsync());
        }
        var a = await Ask(ServeData.Checkpoint);
        var b = await Ask(ServeData.Checkpoint2);
        var both = await Ask(ServeData.Checkpoint, ServeData.Checkpoint2);
        for (int k = 0; k < 10; k++) Assert.Equal((a[k] + b[k]) / 2, both[k], 4);
        Assert.Equal(ServeData.Label(mnist, 0), Array.IndexOf(both, both.Max()));
    }
}
