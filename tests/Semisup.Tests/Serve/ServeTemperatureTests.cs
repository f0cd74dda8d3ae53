using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Semisup.Cli.Serving;
using Semisup.Data;
using Semisup.Tests.Data;
using Semisup.Training;
using static TorchSharp.torch;

namespace Semisup.Tests.Serve;

/// <summary>serve answers with the checkpoint's temperature, and without it when asked ?raw=true.</summary>
[Collection("mnist")]
public class ServeTemperatureTests(MnistFixture mnist)
{
    [Fact]
    public async Task The_probabilities_are_of_the_divided_logits_unless_raw_is_asked_and_the_class_is_the_same()
    {
        using var dir = new TempDir();
        File.Copy(ServeData.Checkpoint, dir["best.ckpt"]);
        Checkpoint.SaveTemperature(dir["best.ckpt"], 0.4);
        await using var server = PredictionServer.Start([dir["best.ckpt"]], 0);
        using var client = new HttpClient { BaseAddress = new Uri(server.Url) };
        var (model, _) = Checkpoint.Load(dir["best.ckpt"]);
        using var _m = model;
        foreach (var index in new[] { 0, 1, 2 })
        {
            var png = ServeData.Png(ServeData.Pixels(mnist, index));
            async Task<(int Class, float[] P)> Ask(string query)
            {
                using var content = new ByteArrayContent(png);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
                var response = await client.PostAsync("/api/predict" + query, content);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                return (json.GetProperty("class").GetInt32(), [.. json.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle())]);
            }
            var calibrated = await Ask("");
            var raw = await Ask("?raw=true");
            Assert.Equal(raw.Class, calibrated.Class);
            using var image = tensor(DigitImage.FromBytes(png)).reshape(1, 1, 28, 28);
            Assert.Equal(Evaluator.Probabilities(model, image), calibrated.P, (a, b) => Math.Abs(a - b) < 1e-6);
            Assert.Equal(Evaluator.Probabilities(model, image, raw: true), raw.P, (a, b) => Math.Abs(a - b) < 1e-6);
            // The shipped model is underconfident: T = 0.4 sharpens its answer.
            Assert.True(calibrated.P.Max() > raw.P.Max() + 0.01, $"{raw.P.Max()} -> {calibrated.P.Max()}");
        }
    }
}
