using System.Text.Json;
using Semisup.Models;
using static TorchSharp.torch;

namespace Semisup.Export;

/// <summary>The conv net's weights for PyTorch: a safetensors file whose tensor names are the parameter and buffer
/// names of <c>SemisupConvNet</c> in python/semisup_models.py (Semisup's own state_dict names, plus the input
/// standardisation as the buffers input_mean and input_std), with the network's settings as JSON in the metadata.</summary>
public static class PyTorchExport
{
    /// <summary>The metadata key of the <see cref="ConvNetConfig"/> (camelCase JSON) that the Python module is built from.</summary>
    public const string ConfigKey = "semisup_config";

    static readonly JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Refuses a model the Python module does not define.</summary>
    public static ConvNet Check(Classifier model) => model as ConvNet
        ?? throw new SemisupException($"safetensors export writes the conv net (python/semisup_models.py), not {model.GetType().Name}; export it to ONNX instead.");

    public static void Write(Classifier model, IReadOnlyDictionary<string, string> metadata, string path)
    {
        var net = Check(model);
        using var scope = NewDisposeScope();
        var c = net.Config;
        var tensors = net.state_dict().Select(kv => (kv.Key, kv.Value))
            .Append(("input_mean", tensor((float)c.InputMean))).Append(("input_std", tensor((float)c.InputStd)));
        // "format": "pt" is what safetensors' own torch writer records.
        var all = new Dictionary<string, string>(ExportMetadata.WithTemperature(metadata, model.Temperature)) { [ConfigKey] = JsonSerializer.Serialize(c, CamelCase), ["format"] = "pt" };
        Safetensors.Write(path, tensors, all);
    }
}
