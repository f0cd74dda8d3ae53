using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Semisup.Export;
using Semisup.Models;
using Semisup.Tests.Data;
using Semisup.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Semisup.Tests.Export;

/// <summary>The safetensors weights: a file the format's readers accept, round-tripped, and loaded by PyTorch into
/// python/semisup_models.py where Debian's python3-torch is installed.</summary>
[Collection("mnist")]
public class SafetensorsTests(MnistFixture mnist, ITestOutputHelper output)
{
    [Fact]
    public void The_conv_nets_state_dict_round_trips_with_its_metadata()
    {
        using var dir = new TempDir();
        using var images = ExportModels.TestImages(mnist, 500);
        using var net = ExportModels.WithBatchNormUpdates(new ConvNet(new(InputMean: 0.13, InputStd: 0.31)), images);
        PyTorchExport.Write(net, ExportModels.Metadata("{\"name\":\"x\"}"), dir["m.safetensors"]);
        var (tensors, metadata) = Safetensors.Read(dir["m.safetensors"]);
        var expected = net.state_dict();
        Assert.Equal([.. expected.Keys, "input_mean", "input_std"], tensors.Keys);
        foreach (var (name, t) in expected)
        {
            Assert.Equal(t.dtype, tensors[name].dtype);
            Assert.True(t.eq(tensors[name]).all().item<bool>(), name);
        }
        Assert.Equal((0.13f, 0.31f), (tensors["input_mean"].item<float>(), tensors["input_std"].item<float>()));
        Assert.Equal("mnist", metadata["dataset"]);
        Assert.Equal("{\"name\":\"x\"}", metadata["recipe"]);
        Assert.Equal("leaky_relu", JsonDocument.Parse(metadata[PyTorchExport.ConfigKey]).RootElement.GetProperty("activation").GetString());
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Fact]
    public void The_header_is_aligned_and_the_data_has_no_gaps()
    {
        using var dir = new TempDir();
        using var a = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var b = tensor(new long[] { 7 });
        Safetensors.Write(dir["t.safetensors"], [("a", a), ("b", b)], new Dictionary<string, string> { ["k"] = "v" });
        var bytes = File.ReadAllBytes(dir["t.safetensors"]);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, n).TrimEnd(' ')).RootElement;
        Assert.Equal("v", header.GetProperty("__metadata__").GetProperty("k").GetString());
        Assert.Equal("F32", header.GetProperty("a").GetProperty("dtype").GetString());
        Assert.Equal("[0,24]", header.GetProperty("a").GetProperty("data_offsets").GetRawText());
        Assert.Equal("[24,32]", header.GetProperty("b").GetProperty("data_offsets").GetRawText());
        Assert.Equal(8 + n + 32, bytes.Length);
        Assert.Equal(5f, BitConverter.ToSingle(bytes, 8 + n + 20));
        Assert.Equal(7L, BitConverter.ToInt64(bytes, 8 + n + 24));
    }

    [Fact]
    public void The_ladder_is_refused_for_safetensors()
    {
        using var dir = new TempDir();
        using var ladder = new LadderNet(new LadderConfig([784, 10]));
        Assert.Contains("export it to ONNX", Assert.Throws<SemisupException>(() => PyTorchExport.Write(ladder, ExportModels.Metadata(), dir["l.safetensors"])).Message);
    }

    [SkippableTheory]
    [InlineData("shipped gamma-seed1")]
    [InlineData("tanh, classic dropout, beta, standardised, narrow")]
    public void PyTorch_loads_the_weights_and_agrees_on_1000_test_images(string which)
    {
        Skip.IfNot(ExportModels.PythonImports("torch"), $"PyTorch is not installed for {ExportModels.Python} (Debian's python3-torch)");
        using var dir = new TempDir();
        using var images = ExportModels.TestImages(mnist, 1000);
        manual_seed(38);
        var model = which.StartsWith("shipped") ? ExportModels.LoadShipped().Model
            : ExportModels.WithBatchNormUpdates(OnnxExportTests.Nets[which](), images);
        using var _ = model;
        PyTorchExport.Write(model, ExportModels.Metadata(), dir["m.safetensors"]);
        File.WriteAllBytes(dir["images.f32"], MemoryMarshal.AsBytes(images.Slice(0, images.Count).data<float>().ToArray().AsSpan()).ToArray());
        var script = Path.Combine(Repo.Root, "tests", "Semisup.Tests", "Export", "torch_predict.py");
        var (code, log) = ExportModels.RunPython(script, Path.Combine(Repo.Root, "python"), dir["m.safetensors"], dir["images.f32"], dir["p.f32"]);
        Assert.True(code == 0, log);
        var torchProbabilities = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(dir["p.f32"])).ToArray();
        // torch_predict.py takes the softmax of the module's logits: the raw probabilities, whatever temperature the model has.
        var semisup = Evaluator.Evaluate(model, images, 500, raw: true);
        var torchPredictions = Enumerable.Range(0, 1000).Select(i => (long)Array.IndexOf(torchProbabilities, torchProbabilities.AsSpan(i * 10, 10).ToArray().Max(), i * 10) - i * 10).ToArray();
        double diff = ExportModels.MaxDifference(semisup.Probabilities, torchProbabilities);
        output.WriteLine($"{which}: PyTorch vs Semisup on 1000 images: classes differ on {semisup.Predictions.Zip(torchPredictions).Count(p => p.First != p.Second)}, max |Δp| {diff:E2}");
        ExportModels.AssertSameClasses(semisup.Predictions, semisup.Probabilities, torchPredictions, exact: which.StartsWith("shipped"), 1e-5);
        Assert.True(diff <= 1e-5, $"probabilities differ by up to {diff:E2}");
    }
}
