namespace InSitu.Models.Pretrained;

/// <summary>
/// What a stored weights file is (written beside it as NAME.json): the architecture, its number of classes, where
/// the weights came from and what they were trained on.
/// </summary>
public sealed record WeightsRecord(
    string Architecture,
    int Classes,
    string[] ClassNames,
    string Source,
    string Origin,
    string Description,
    string Input,
    string Created);
