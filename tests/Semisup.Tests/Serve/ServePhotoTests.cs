using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;
using Semisup.Cli.Serving;
using Semisup.Tests.Data;
using Semisup.Tests.Runs;
using SkiaSharp;

namespace Semisup.Tests.Serve;

/// <summary>serve with a checkpoint trained on a folder of photos: the upload page instead of drawing, and answers that
/// name the class, with the probabilities of the image decoded by hand at the model's shape.</summary>
[Collection("mnist")]
public class ServePhotoTests(PhotoRun photos) : IClassFixture<PhotoRun>
{
    static async Task<(HttpStatusCode Status, JsonElement Json)> Post(HttpClient client, byte[] body, string type)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        using var response = await client.PostAsync("/api/predict", content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task An_uploaded_photo_is_answered_with_its_class_name_and_the_probabilities_of_the_image_decoded_by_hand()
    {
        await using var server = PredictionServer.Start([photos.Checkpoint], 0);
        using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
        foreach (var (file, type) in new[] { (photos.Test[0].File, "image/png"), (photos.Test[5].File, "image/jpeg") })
        {
            var (status, json) = await Post(client, File.ReadAllBytes(file), type);
            Assert.Equal(HttpStatusCode.OK, status);
            var p = json.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            var reference = photos.Reference([file])[0];
            int best = Array.IndexOf(reference, reference.Max());
            Assert.Equal(best, json.GetProperty("class").GetInt32());
            Assert.Equal(PhotoRun.Classes[best], json.GetProperty("name").GetString());
            Assert.Equal(PhotoRun.Classes, json.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(1.0, p.Sum(), 5);
            Assert.All(p.Zip(reference), q => Assert.Equal(q.Second, q.First, 1e-6f));
            Assert.False(json.TryGetProperty("preview", out _)); // a photo has no 28×28 digit preview
        }
        // Any size and format the decoder reads: a WebP, 300×200.
        var webp = ImageFiles.Encode(300, 200, (x, y) => new SKColor((byte)x, (byte)y, 90), SKEncodedImageFormat.Webp, 90);
        var answer = await Post(client, webp, "image/webp");
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Contains(answer.Json.GetProperty("name").GetString(), PhotoRun.Classes);
    }

    [Fact]
    public async Task The_page_offers_an_upload_and_the_model_is_described_by_its_classes()
    {
        await using var server = PredictionServer.Start([photos.Checkpoint], 0);
        using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
        var html = await client.GetStringAsync("/");
        Assert.Contains("<input id=\"file\" type=\"file\"", html);
        Assert.DoesNotContain("<canvas id=\"pad\"", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        var model = JsonDocument.Parse(await client.GetStringAsync("/api/model")).RootElement;
        Assert.Equal(PhotoRun.Classes, model.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([3, 32, 32], model.GetProperty("input").EnumerateArray().Select(e => e.GetInt32()));
        Assert.False(model.GetProperty("drawing").GetBoolean());
    }

    [Fact]
    public async Task Uploads_that_are_no_image_or_too_large_are_refused_in_one_line()
    {
        await using var server = PredictionServer.Start([photos.Checkpoint], 0);
        using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
        var text = await Post(client, "this is not a picture"u8.ToArray(), "image/png");
        Assert.Equal(HttpStatusCode.BadRequest, text.Status);
        Assert.Equal("the image: not an image (PNG, JPEG, BMP, GIF or WebP expected); send a whole PNG, JPEG, BMP, GIF or WebP image.", text.Json.GetProperty("error").GetString());
        var type = await Post(client, File.ReadAllBytes(photos.Test[0].File), "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, type.Status);
        Assert.Equal("Content-Type text/plain is not accepted: send image/png, image/jpeg, image/webp, image/gif or image/bmp.", type.Json.GetProperty("error").GetString());
        var huge = await Post(client, ImageFiles.PngHeader(100_000, 100_000), "image/png");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.Status);
        Assert.Equal("the image: 100,000×100,000 pixels is too large (at most 16,777,216); scale it down or remove it.", huge.Json.GetProperty("error").GetString());
    }

    [SkippableFact]
    public async Task A_photo_chosen_on_the_page_is_shown_with_its_class_name()
    {
        const string Chromium = "/usr/bin/chromium";
        Skip.IfNot(File.Exists(Chromium), $"{Chromium} is missing (apt-get install chromium)");
        await using var server = PredictionServer.Start([photos.Checkpoint], 0);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.Url);
        await page.WaitForFunctionAsync("document.getElementById('about').textContent.startsWith('3 classes: cat, dog, owl')", null, new() { Timeout = 15000 });
        var file = photos.Test[0].File;
        await page.Locator("#file").SetInputFilesAsync(file);
        await page.WaitForFunctionAsync("document.body.dataset.answered === '1'", null, new() { Timeout = 15000 });
        var reference = photos.Reference([file])[0];
        var expected = PhotoRun.Classes[Array.IndexOf(reference, reference.Max())];
        Assert.Equal(expected, await page.Locator("#predicted").TextContentAsync());
        Assert.Equal(3, await page.Locator("#top li").CountAsync()); // every class, as there are fewer than five
        Assert.Equal(expected, await page.Locator("#top li.best span").TextContentAsync());
        Assert.True(await page.Locator("#photo").IsVisibleAsync());
    }
}
